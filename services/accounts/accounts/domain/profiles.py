"""Profiles: which fields an update may change, and to what."""

import re
from dataclasses import dataclass

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.geo import Point
from servicekit.urls import url_violation

MAX_DISPLAY_NAME = 100
MAX_BIO = 2000
PROFILE_PATHS = ("display_name", "bio", "avatar_url", "location", "location.latitude", "location.longitude")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNCHANGED = object()  # a location the update leaves alone (None clears it)


@dataclass(frozen=True)
class ProfileValues:
    """The values a profile update sends; location is (latitude, longitude) or None when absent."""

    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    location: tuple[float, float] | None = None


def _profile_path(path: str) -> str:
    # AIP-134 paths are relative to the resource (`display_name`); `profile.display_name` is accepted too.
    return path.removeprefix("profile.")


def _sent_paths(values: ProfileValues) -> list[str]:
    """Without a mask, the fields that carry a value (proto3 cannot tell an empty string from none)."""
    paths = [name for name in ("display_name", "bio", "avatar_url") if getattr(values, name)]
    return paths + (["location"] if values.location is not None else [])


def profile_changes(
    paths: list[str], values: ProfileValues, stored_location: Point | None
) -> dict[str, str | Point | None]:
    """The columns an update changes, or INVALID_ARGUMENT naming every problem.

    `location.latitude` alone moves the stored point north or south; without a stored point
    both coordinates are needed. `location` with no value clears it.
    """
    violations: list[FieldViolation] = []
    wanted = [_profile_path(path) for path in paths] if paths else _sent_paths(values)
    changes: dict[str, str | Point | None] = {}
    for path in wanted:
        if path not in PROFILE_PATHS:
            violations.append(FieldViolation("update_mask", f"{path!r} is not a profile field that can be changed"))
    if violations:
        raise InvalidArgument(violations)
    if "display_name" in wanted:
        name = values.display_name.strip()
        if len(name) > MAX_DISPLAY_NAME:
            violations.append(FieldViolation("profile.display_name", f"must be at most {MAX_DISPLAY_NAME} characters"))
        elif _CONTROL.search(name):
            violations.append(FieldViolation("profile.display_name", "must not contain control characters"))
        changes["display_name"] = name
    if "bio" in wanted:
        if len(values.bio) > MAX_BIO:
            violations.append(FieldViolation("profile.bio", f"must be at most {MAX_BIO} characters"))
        changes["bio"] = values.bio
    if "avatar_url" in wanted:
        if problem := url_violation("avatar_url", values.avatar_url.strip()):
            violations.append(FieldViolation(f"profile.{problem.field}", problem.description))
        changes["avatar_url"] = values.avatar_url.strip()
    location = _location_change(wanted, values, stored_location, violations)
    if location is not _UNCHANGED:
        changes["location"] = location
    if violations:
        raise InvalidArgument(violations)
    return changes


def _location_change(wanted: list[str], values: ProfileValues, stored: Point | None, violations: list) -> object:
    whole = "location" in wanted
    latitude, longitude = "location.latitude" in wanted, "location.longitude" in wanted
    if not (whole or latitude or longitude):
        return _UNCHANGED
    if values.location is None:
        if whole:
            return None  # cleared
        violations.append(FieldViolation("profile.location", "is required to change its coordinates"))
        return _UNCHANGED
    if not whole and not (latitude and longitude) and stored is None:
        missing = "longitude" if latitude else "latitude"
        violations.append(FieldViolation(f"profile.location.{missing}", "is required: there is no location yet"))
        return _UNCHANGED
    new_latitude = values.location[0] if whole or latitude else stored.latitude
    new_longitude = values.location[1] if whole or longitude else stored.longitude
    problems = []
    if not -90 <= new_latitude <= 90:
        problems.append(FieldViolation("profile.location.latitude", "must be between -90 and 90"))
    if not -180 <= new_longitude <= 180:
        problems.append(FieldViolation("profile.location.longitude", "must be between -180 and 180"))
    violations += problems
    return _UNCHANGED if problems else Point(new_latitude, new_longitude)
