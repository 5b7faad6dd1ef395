"""Pure source-row -> OCDS 1.1.5 mapping, agreements table, codelists and schema validation."""
