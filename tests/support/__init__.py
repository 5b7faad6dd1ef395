"""Shared builders and helpers of the test suite (not tests themselves)."""
