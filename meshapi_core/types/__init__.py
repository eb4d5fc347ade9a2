"""Pydantic models for every request, response and stream item of the protocol."""
