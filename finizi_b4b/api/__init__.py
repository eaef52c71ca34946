"""The B4B API client: requests, answers and their records, retries, the session's seam; nothing above it."""
