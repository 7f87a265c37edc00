"""Conversions between proto well-known types and Python values."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from servicekit.errors import FieldViolation

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(value: datetime | None) -> Timestamp | None:
    """The time as a Timestamp (a naive one taken as UTC), as `Timestamp.FromDatetime` makes it in a
    third of its time: every resource a servicer answers with has a few."""
    if value is None:
        return None
    since = (value if value.tzinfo else value.replace(tzinfo=UTC)) - _EPOCH
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def from_timestamp(field: str, value: Timestamp, violations: list[FieldViolation]) -> datetime | None:
    """The time a request gives (in UTC); one outside the years 1 to 9999, or with bad nanos, is a violation."""
    try:
        return value.ToDatetime(tzinfo=UTC)
    except ValueError:
        violations.append(FieldViolation(field, "is not a time between the years 1 and 9999"))
        return None
