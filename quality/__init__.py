"""Data quality gate for the normalised order table: rules, GX suite, OCDS checks, reports.

``import quality`` stays cheap: Great Expectations is imported only when a suite runs.
"""

from quality.gate import QualityOutcome, evaluate_orders
from quality.rules import RULES, RULES_BY_ID, CheckResult, QualityConfig, Rule

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "CheckResult",
    "QualityConfig",
    "QualityOutcome",
    "Rule",
    "evaluate_orders",
]
