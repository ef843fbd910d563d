"""Tests of the agent service."""
