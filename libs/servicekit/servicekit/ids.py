"""Parsing ids from requests."""

from uuid import UUID

from servicekit.errors import InvalidArgument


def parse_id(field: str, value: str) -> UUID:
    """The UUID in a request field, or INVALID_ARGUMENT naming the field."""
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise InvalidArgument.field(field, f"{value!r} is not a UUID") from None
