"""Parsing ids from requests."""

from uuid import UUID

from servicekit.errors import FieldViolation, InvalidArgument


def parse_id(field: str, value: str) -> UUID:
    """The UUID in a request field, or INVALID_ARGUMENT naming the field."""
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidArgument.field(field, f"{value!r} is not a UUID") from None


def parse_optional_id(field: str, value: str, violations: list[FieldViolation] | None = None) -> UUID | None:
    """None for an empty field, else its UUID; a bad one raises, or with `violations` is added to them
    (for requests that report every problem at once)."""
    if not value:
        return None
    try:
        return parse_id(field, value)
    except InvalidArgument as error:
        if violations is None:
            raise
        violations += error.violations
        return None
