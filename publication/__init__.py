"""Dagster-free writer of daily open-data folders."""
