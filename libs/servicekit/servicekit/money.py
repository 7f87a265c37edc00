"""Money: integer minor units of an ISO 4217 currency, never floats."""

import re
from dataclasses import dataclass

from marketplace.common.v1 import money_pb2
from servicekit.errors import FieldViolation

# \Z, not $: "$" also matches before a final newline, so "USD\n" would pass.
CURRENCY = re.compile(r"\A[A-Z]{3}\Z")
# Below 2**53 so JSON clients that read numbers as doubles keep every unit.
MAX_AMOUNT_MINOR = 2**53 - 1


@dataclass(frozen=True)
class Money:
    currency: str
    amount_minor: int

    def to_proto(self) -> money_pb2.Money:
        return money_pb2.Money(currency=self.currency, amount_minor=self.amount_minor)


def check_money(field: str, value: money_pb2.Money, violations: list[FieldViolation]) -> Money | None:
    """The amount as Money, or None after adding what is wrong with it to violations."""
    problems = []
    if not CURRENCY.match(value.currency):
        problems.append(FieldViolation(f"{field}.currency", "must be an ISO 4217 code such as USD"))
    if value.amount_minor <= 0:
        problems.append(FieldViolation(f"{field}.amount_minor", "must be greater than zero"))
    elif value.amount_minor > MAX_AMOUNT_MINOR:
        problems.append(FieldViolation(f"{field}.amount_minor", f"must be at most {MAX_AMOUNT_MINOR}"))
    violations += problems
    return None if problems else Money(value.currency, value.amount_minor)
