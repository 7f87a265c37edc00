"""Profiles and the user's preferences: which fields an update may change, and to what."""

import re
from dataclasses import dataclass

from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.geo import Point
from servicekit.money import CURRENCY
from servicekit.urls import url_violation

MAX_DISPLAY_NAME = 100
MAX_BIO = 2000
PROFILE_PATHS = ("display_name", "bio", "avatar_url", "location", "location.latitude", "location.longitude")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNCHANGED = object()  # a location the update leaves alone (None clears it)

NOTIFICATION_KINDS = ("messages", "offers", "transactions", "matches", "marketing")
MAX_SEARCH_RADIUS_KM = 500
# A BCP 47 language tag: a language, then region, script or variant subtags ("en", "de-DE", "zh-Hant-TW").
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
# Path under `preferences` -> the profile column it sets.
PREFERENCE_COLUMNS = {
    "currency": "preferred_currency",
    "language": "language",
    "search_radius_km": "search_radius_km",
    **{f"notifications.{kind}": f"notify_{kind}" for kind in NOTIFICATION_KINDS},
}


@dataclass(frozen=True)
class PreferenceValues:
    """The preferences an update sends; notifications maps each kind sent to on or off."""

    currency: str = ""
    language: str = ""
    search_radius_km: int = 0
    notifications: dict[str, bool] | None = None


@dataclass(frozen=True)
class ProfileValues:
    """The values a profile update sends; location is (latitude, longitude) or None when absent."""

    display_name: str = ""
    bio: str = ""
    avatar_url: str = ""
    location: tuple[float, float] | None = None
    preferences: PreferenceValues = PreferenceValues()


def _preference_paths(path: str) -> list[str]:
    """The leaf paths under `preferences` that a mask path names (a group names all of its leaves)."""
    relative = path.removeprefix("preferences").removeprefix(".")
    return [leaf for leaf in PREFERENCE_COLUMNS if not relative or leaf == relative or leaf.startswith(f"{relative}.")]


def _profile_path(path: str) -> str:
    # AIP-134 paths are relative to the resource (`display_name`); `profile.display_name` is accepted too.
    return path.removeprefix("profile.")


def _sent_paths(values: ProfileValues) -> list[str]:
    """Without a mask, the fields that carry a value (proto3 cannot tell an empty string from none)."""
    paths = [name for name in ("display_name", "bio", "avatar_url") if getattr(values, name)]
    preferences = values.preferences
    paths += [
        f"preferences.{name}" for name in ("currency", "language", "search_radius_km") if getattr(preferences, name)
    ]
    paths += ["preferences.notifications"] if preferences.notifications is not None else []
    return paths + (["location"] if values.location is not None else [])


def profile_changes(
    paths: list[str], values: ProfileValues, stored_location: Point | None
) -> dict[str, str | int | bool | Point | None]:
    """The columns an update changes, or INVALID_ARGUMENT naming every problem.

    `location.latitude` alone moves the stored point north or south; without a stored point
    both coordinates are needed. `location` with no value clears it.
    """
    violations: list[FieldViolation] = []
    wanted = [_profile_path(path) for path in paths] if paths else _sent_paths(values)
    for path in wanted:
        preference = path == "preferences" or path.startswith("preferences.")
        if path not in PROFILE_PATHS and not (preference and _preference_paths(path)):
            violations.append(FieldViolation("update_mask", f"{path!r} is not a profile field that can be changed"))
    if violations:
        raise InvalidArgument(violations)
    leaves = {leaf for path in wanted if path.startswith("preferences") for leaf in _preference_paths(path)}
    changes: dict[str, str | int | bool | Point | None] = _preference_changes(leaves, values.preferences, violations)
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


def _preference_changes(leaves: set[str], values: PreferenceValues, violations: list) -> dict[str, str | int | bool]:
    """The preference columns the update sets. An empty currency clears the choice; an empty
    language or a radius of 0 goes back to the default ("en", 50 km)."""
    changes: dict[str, str | int | bool] = {}
    if "currency" in leaves:
        if values.currency and not CURRENCY.match(values.currency):
            violations.append(FieldViolation("profile.preferences.currency", "must be an ISO 4217 code such as EUR"))
        changes["preferred_currency"] = values.currency
    if "language" in leaves:
        if values.language and not (len(values.language) <= 35 and _LANGUAGE.fullmatch(values.language)):
            violations.append(
                FieldViolation("profile.preferences.language", "must be a language tag such as en or de-DE")
            )
        changes["language"] = values.language or "en"
    if "search_radius_km" in leaves:
        if not 0 <= values.search_radius_km <= MAX_SEARCH_RADIUS_KM:
            violations.append(
                FieldViolation("profile.preferences.search_radius_km", f"must be between 1 and {MAX_SEARCH_RADIUS_KM}")
            )
        changes["search_radius_km"] = values.search_radius_km or 50
    chosen = values.notifications or {}
    for kind in NOTIFICATION_KINDS:
        if f"notifications.{kind}" in leaves:
            changes[f"notify_{kind}"] = chosen.get(kind, False)
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
