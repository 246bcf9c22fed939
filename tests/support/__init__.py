"""Helpers for the test suite (real servers the tests start and stop themselves)."""
