"""Conversions between proto well-known types and Python values."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from servicekit.errors import FieldViolation


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    result = Timestamp()
    result.FromDatetime(value)
    return result


def from_timestamp(field: str, value: Timestamp, violations: list[FieldViolation]) -> datetime | None:
    """The time a request gives (in UTC); one outside the years 1 to 9999, or with bad nanos, is a violation."""
    try:
        return value.ToDatetime(tzinfo=UTC)
    except ValueError:
        violations.append(FieldViolation(field, "is not a time between the years 1 and 9999"))
        return None
