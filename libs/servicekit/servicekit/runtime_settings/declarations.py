"""How a context declares its runtime settings, and how a value is checked against its declaration.

A context subclasses RuntimeSettings as a frozen dataclass, one field per setting:

    @dataclass(frozen=True)
    class TradingSettings(RuntimeSettings):
        platform_fee_bps: int = setting(500, "The fee on a sale, in basis points.", minimum=0, maximum=5000)
        offers_enabled: Flag = setting(ON, "Whether buyers may make offers.")

The field's annotation is the setting's type (int, bool, str, timedelta, a StrEnum, Flag), its default
the default. An instance holds one value of each, so readers get typed values (`values.platform_fee_bps`).
A value travels and is stored as JSON: numbers, booleans and strings as themselves, a duration as a
string of seconds ("3600s", as protobuf writes a Duration), a flag as {"enabled", "percentage", "user_ids"}.
"""

import dataclasses
import enum
import hashlib
import re
import typing
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Self
from uuid import UUID

from servicekit.errors import FieldViolation

DURATION = re.compile(r"(\d{1,12})(\.\d{1,9})?s")
MAX_FLAG_USERS = 1000
_DECLARATION = "servicekit.runtime_setting"


class SettingType(enum.StrEnum):
    INT = "int"
    BOOL = "bool"
    STRING = "string"
    DURATION = "duration"
    ENUM = "enum"
    FLAG = "flag"


def flag_bucket(flag: str, user_id: UUID) -> int:
    """Where a user falls, 0 to 99, for one flag: a hash of both, so that a user keeps their answer while
    a rollout grows, and a 10% rollout of one flag is not the same 10% of users as another's."""
    digest = hashlib.sha256(f"{flag}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


@dataclass(frozen=True)
class Flag:
    """Who a feature is on for: everyone, a stable percentage of users, named users; nobody when all unset."""

    enabled: bool = False
    percentage: int = 0
    user_ids: frozenset[UUID] = frozenset()

    def is_on(self, flag: str, user_id: UUID | None) -> bool:
        """Whether the flag named `flag` is on for the user (None: someone not signed in, who only gets `enabled`)."""
        if self.enabled:
            return True
        if user_id is None:
            return False
        return user_id in self.user_ids or flag_bucket(flag, user_id) < self.percentage


ON = Flag(enabled=True)
OFF = Flag()


@dataclass(frozen=True)
class Declaration:
    """One setting: its name, type, default, bounds (`maximum` is a string's longest length) and meaning."""

    name: str
    type: SettingType
    default: Any
    description: str
    minimum: int | timedelta | None = None
    maximum: int | timedelta | None = None
    choices: type[enum.StrEnum] | None = None


def setting(default: Any, description: str, *, minimum: Any = None, maximum: Any = None) -> Any:
    """A field of a RuntimeSettings subclass: the setting's default, what it means, and its bounds."""
    return dataclasses.field(
        default=default, metadata={_DECLARATION: {"description": description, "minimum": minimum, "maximum": maximum}}
    )


def _type_of(annotation: Any) -> tuple[SettingType, type[enum.StrEnum] | None]:
    if annotation is bool:
        return SettingType.BOOL, None
    if annotation is int:
        return SettingType.INT, None
    if annotation is str:
        return SettingType.STRING, None
    if annotation is timedelta:
        return SettingType.DURATION, None
    if annotation is Flag:
        return SettingType.FLAG, None
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return SettingType.ENUM, annotation
    raise TypeError(f"a runtime setting is an int, bool, str, timedelta, StrEnum or Flag, not {annotation!r}")


@dataclass(frozen=True)
class RuntimeSettings:
    """The runtime settings of a context: subclass it as a frozen dataclass of `setting(...)` fields."""

    @classmethod
    @cache
    def declarations(cls) -> dict[str, Declaration]:
        hints = typing.get_type_hints(cls)
        declared = {}
        for field in dataclasses.fields(cls):
            kind, choices = _type_of(hints[field.name])
            declared[field.name] = Declaration(
                field.name, kind, field.default, choices=choices, **field.metadata[_DECLARATION]
            )
        return declared

    def is_enabled(self, flag: str, user_id: UUID | None) -> bool:
        """Whether the feature flag `flag` is on for the user (None: someone not signed in)."""
        value = getattr(self, flag)
        if not isinstance(value, Flag):
            raise TypeError(f"{flag} is not a feature flag")
        return value.is_on(flag, user_id)

    def conflicts(self) -> dict[str, str]:
        """Rules between settings that these values break, by the setting to blame (none here)."""
        return {}

    def checked(self) -> Self:
        """These values, when each fits its declaration; ValueError naming those that do not."""
        problems: list[FieldViolation] = []
        for name, declaration in self.declarations().items():
            decode(declaration, encode(declaration, getattr(self, name)), name, problems)
        problems += [FieldViolation(name, description) for name, description in self.conflicts().items()]
        if problems:
            raise ValueError("; ".join(f"{problem.field} {problem.description}" for problem in problems))
        return self


def field_path(declaration: Declaration) -> str:
    """Where a setting is in an UpdateSettingsRequest, for the field violations about it."""
    return f"settings.{'flags' if declaration.type is SettingType.FLAG else 'values'}.{declaration.name}"


def seconds_text(value: timedelta) -> str:
    return f"{value.total_seconds():f}".rstrip("0").rstrip(".") + "s"


def encode(declaration: Declaration, value: Any) -> Any:
    """A value as JSON."""
    if declaration.type is SettingType.DURATION:
        return seconds_text(value)
    if declaration.type is SettingType.ENUM:
        return value.value
    if declaration.type is SettingType.FLAG:
        return {"enabled": value.enabled, "percentage": value.percentage, "user_ids": sorted(map(str, value.user_ids))}
    return value


def _in_bounds(declaration: Declaration, value: Any) -> str | None:
    low, high = declaration.minimum, declaration.maximum
    shown = encode(declaration, value)
    if declaration.type is SettingType.STRING:
        return f"must be at most {high} characters" if high is not None and len(value) > high else None
    if (low is not None and value < low) or (high is not None and value > high):
        if low is None:
            return f"must be at most {encode(declaration, high)}, not {shown}"
        if high is None:
            return f"must be at least {encode(declaration, low)}, not {shown}"
        return f"must be between {encode(declaration, low)} and {encode(declaration, high)}, not {shown}"
    return None


def _flag(raw: Any, path: str, violations: list[FieldViolation]) -> Flag | None:
    if not isinstance(raw, dict) or set(raw) - {"enabled", "percentage", "user_ids"}:
        violations.append(FieldViolation(path, "must be a feature flag: enabled, percentage, user_ids"))
        return None
    before = len(violations)
    enabled, percentage, user_ids = raw.get("enabled", False), raw.get("percentage", 0), raw.get("user_ids", [])
    if not isinstance(enabled, bool):
        violations.append(FieldViolation(f"{path}.enabled", "must be true or false"))
    if not isinstance(percentage, int) or isinstance(percentage, bool) or not 0 <= percentage <= 100:
        violations.append(
            FieldViolation(f"{path}.percentage", f"must be a whole number from 0 to 100, not {percentage}")
        )
    ids = set()
    if not isinstance(user_ids, list) or len(user_ids) > MAX_FLAG_USERS:
        violations.append(FieldViolation(f"{path}.user_ids", f"must list at most {MAX_FLAG_USERS} user ids"))
        user_ids = []
    for index, user_id in enumerate(user_ids):
        try:
            ids.add(UUID(user_id))
        except (ValueError, TypeError, AttributeError):
            violations.append(FieldViolation(f"{path}.user_ids[{index}]", f"{user_id!r} is not a UUID"))
    return Flag(enabled, percentage, frozenset(ids)) if len(violations) == before else None


def decode(declaration: Declaration, raw: Any, path: str, violations: list[FieldViolation]) -> Any:
    """The value JSON `raw` stands for, checked against the declaration; None, with a violation on
    `path` added, when it does not fit."""
    kind = declaration.type
    value: Any = None
    if kind is SettingType.FLAG:
        return _flag(raw, path, violations)
    if kind is SettingType.BOOL and isinstance(raw, bool):
        value = raw
    elif kind is SettingType.INT and not isinstance(raw, bool):
        # JSON numbers arrive as floats through google.protobuf.Value.
        value = int(raw) if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()) else None
    elif kind is SettingType.STRING and isinstance(raw, str):
        value = raw
    elif kind is SettingType.DURATION and isinstance(raw, str) and DURATION.fullmatch(raw):
        value = timedelta(seconds=float(raw[:-1]))
    elif kind is SettingType.ENUM and raw in {member.value for member in declaration.choices}:
        value = declaration.choices(raw)
    if value is None:
        violations.append(FieldViolation(path, _expected(declaration, raw)))
        return None
    if problem := _in_bounds(declaration, value):
        violations.append(FieldViolation(path, problem))
        return None
    return value


def _expected(declaration: Declaration, raw: Any) -> str:
    shown = f"not {raw!r}"
    match declaration.type:
        case SettingType.INT:
            return f"must be a whole number, {shown}"
        case SettingType.BOOL:
            return f"must be true or false, {shown}"
        case SettingType.STRING:
            return f"must be a string, {shown}"
        case SettingType.DURATION:
            return f'must be a duration in seconds such as "3600s", {shown}'
        case _:
            return f"must be one of {', '.join(member.value for member in declaration.choices)}, {shown}"
