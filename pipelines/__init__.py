"""Dagster code location for the PERÚ COMPRAS open-data pipeline."""
