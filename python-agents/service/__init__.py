"""Abetworks agent service: discovery, signing, worker pool and the FastAPI app."""
