"""finizi-b4b: a Model Context Protocol server for the Finizi B4B API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
