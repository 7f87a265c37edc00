"""Mapping between proto enums (CONDITION_LIKE_NEW) and domain enums (Condition.LIKE_NEW)."""

import enum
from typing import TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from servicekit.errors import FieldViolation

E = TypeVar("E", bound=enum.Enum)


def _prefix(proto_enum: EnumTypeWrapper) -> str:
    return proto_enum.Name(0).removesuffix("UNSPECIFIED")


def to_proto(proto_enum: EnumTypeWrapper, member: enum.Enum | None) -> int:
    return 0 if member is None else proto_enum.Value(_prefix(proto_enum) + member.name)


def from_proto(
    proto_enum: EnumTypeWrapper, domain_enum: type[E], value: int, field: str, violations: list[FieldViolation]
) -> E | None:
    """The domain member of a proto value; None for UNSPECIFIED; unknown numbers are violations."""
    if value == 0:
        return None
    try:
        return domain_enum[proto_enum.Name(value).removeprefix(_prefix(proto_enum))]
    except (ValueError, KeyError):
        violations.append(FieldViolation(field, f"{value} is not a known value"))
        return None
