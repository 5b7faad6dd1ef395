"""Data quality rules and Great Expectations suites."""
