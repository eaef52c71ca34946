"""Developer tools beside the server: the demo, the generated reference, the sample invoice, the scenarios.

Nothing here is on a tool call's path; the server never imports it.
"""
