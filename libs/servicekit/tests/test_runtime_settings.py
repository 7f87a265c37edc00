"""Runtime settings as declared in code: types, defaults, bounds, JSON, and who a feature flag is on for."""

import enum
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from servicekit.errors import FieldViolation
from servicekit.runtime_settings import OFF, ON, Flag, RuntimeSettings, setting
from servicekit.runtime_settings.declarations import SettingType, decode, encode


class Tier(enum.StrEnum):
    FREE = "free"
    PRO = "pro"


@dataclass(frozen=True)
class Example(RuntimeSettings):
    fee_bps: int = setting(500, "A fee.", minimum=0, maximum=5000)
    open: bool = setting(True, "Whether it is open.")
    greeting: str = setting("hello", "A greeting.", maximum=10)
    lifetime: timedelta = setting(timedelta(days=2), "A lifetime.", minimum=timedelta(minutes=5))
    tier: Tier = setting(Tier.FREE, "A tier.")
    beta: Flag = setting(OFF, "A feature.")


def check(name: str, raw) -> tuple[object, list[str]]:
    violations: list[FieldViolation] = []
    value = decode(Example.declarations()[name], raw, f"settings.values.{name}", violations)
    return value, [violation.description for violation in violations]


def test_a_declaration_takes_its_type_default_and_bounds_from_the_field():
    declared = Example.declarations()
    assert [declaration.type for declaration in declared.values()] == [
        SettingType.INT,
        SettingType.BOOL,
        SettingType.STRING,
        SettingType.DURATION,
        SettingType.ENUM,
        SettingType.FLAG,
    ]
    assert (declared["fee_bps"].default, declared["fee_bps"].minimum, declared["fee_bps"].maximum) == (500, 0, 5000)
    assert declared["tier"].choices is Tier
    assert Example().checked().fee_bps == 500


def test_values_round_trip_through_json():
    values = Example(lifetime=timedelta(hours=1, milliseconds=500), beta=Flag(percentage=30))
    for name, declaration in Example.declarations().items():
        assert check(name, encode(declaration, getattr(values, name))) == (getattr(values, name), [])
    assert encode(Example.declarations()["lifetime"], timedelta(days=2)) == "172800s"


@pytest.mark.parametrize(
    ("name", "raw", "problem"),
    [
        ("fee_bps", 5001, "must be between 0 and 5000, not 5001"),
        ("fee_bps", 1.5, "must be a whole number, not 1.5"),
        ("fee_bps", True, "must be a whole number, not True"),
        ("open", "yes", "must be true or false, not 'yes'"),
        ("greeting", "hello world!", "must be at most 10 characters"),
        ("lifetime", "60s", "must be at least 300s, not 60s"),
        ("lifetime", "3 days", "must be a duration in seconds such as \"3600s\", not '3 days'"),
        ("tier", "gold", "must be one of free, pro, not 'gold'"),
    ],
)
def test_a_value_that_does_not_fit_its_declaration_says_why(name, raw, problem):
    assert check(name, raw) == (None, [problem])


def test_a_flag_names_each_of_its_problems():
    raw = {"enabled": "yes", "percentage": 101, "user_ids": ["not-a-uuid", str(uuid.uuid4())]}
    violations: list[FieldViolation] = []
    assert decode(Example.declarations()["beta"], raw, "settings.flags.beta", violations) is None
    assert [violation.field for violation in violations] == [
        "settings.flags.beta.enabled",
        "settings.flags.beta.percentage",
        "settings.flags.beta.user_ids[0]",
    ]


def test_defaults_out_of_their_own_bounds_stop_the_service():
    with pytest.raises(ValueError, match="fee_bps"):
        Example(fee_bps=-1).checked()


def test_a_flag_is_off_on_for_everyone_or_for_named_users():
    someone, named = uuid.uuid4(), uuid.uuid4()
    assert not OFF.is_on("beta", someone)
    assert ON.is_on("beta", someone) and ON.is_on("beta", None)
    only_named = Flag(user_ids=frozenset({named}))
    assert only_named.is_on("beta", named) and not only_named.is_on("beta", someone)
    assert not Flag(percentage=100).is_on("beta", None)  # a rollout counts signed-in users only
    assert Example(beta=only_named).is_enabled("beta", named)


def test_a_30_percent_flag_is_on_for_about_30_percent_of_users_and_the_same_ones_each_time():
    flag = Flag(percentage=30)
    users = [uuid.uuid4() for _ in range(10_000)]
    first = [flag.is_on("beta", user) for user in users]
    assert 2700 <= sum(first) <= 3300
    assert [flag.is_on("beta", user) for user in users] == first
    # Growing the rollout keeps everyone who had the feature.
    assert all(Flag(percentage=50).is_on("beta", user) for user, on in zip(users, first, strict=True) if on)
