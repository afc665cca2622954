"""Local validation: objective rules, the debt validator, and the policy-rule protocol."""

from debtkit.validation.debt import CheckedDebt, PolicyRule, Validator, load_debt, validate_debt
from debtkit.validation.rules import PhoneNumber, RuleViolation
from debtkit.validation.types import require_types, type_problems

__all__ = [
    "CheckedDebt",
    "PhoneNumber",
    "PolicyRule",
    "RuleViolation",
    "Validator",
    "load_debt",
    "require_types",
    "type_problems",
    "validate_debt",
]
