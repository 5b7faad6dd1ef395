"""Dagster-free integrity core: canonical JSON, Merkle trees, manifests, chain client, verifier."""
