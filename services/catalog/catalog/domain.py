"""Rules of the catalog: no I/O, no proto, no clock."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from servicekit.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound

MAX_NAME = 200
MAX_DESCRIPTION = 5000
MAX_URL = 2048


class GameNotFound(NotFound):
    reason = "GAME_NOT_FOUND"


class GameNameTaken(AlreadyExists):
    reason = "GAME_NAME_TAKEN"

    def __init__(self, name: str) -> None:
        super().__init__(f"a game named {name!r} exists already", metadata={"field": "name"})


@dataclass(frozen=True)
class GameFields:
    """The fields of a game that people write."""

    name: str
    description: str
    logo_url: str


def _url_violation(field: str, value: str) -> FieldViolation | None:
    if not value:
        return None
    if len(value) > MAX_URL:
        return FieldViolation(field, f"must be at most {MAX_URL} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return FieldViolation(field, "must be an http or https URL")
    return None


def text_violations(prefix: str, name: str, description: str) -> list[FieldViolation]:
    violations = []
    if not name.strip():
        violations.append(FieldViolation(f"{prefix}name", "must not be blank"))
    elif len(name) > MAX_NAME:
        violations.append(FieldViolation(f"{prefix}name", f"must be at most {MAX_NAME} characters"))
    if len(description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    return violations


def validate_game(fields: GameFields, prefix: str = "game.") -> GameFields:
    """The game with its name trimmed, or INVALID_ARGUMENT listing every problem."""
    violations = text_violations(prefix, fields.name, fields.description)
    url_problem = _url_violation(f"{prefix}logo_url", fields.logo_url)
    if url_problem:
        violations.append(url_problem)
    if violations:
        raise InvalidArgument(violations)
    return GameFields(name=fields.name.strip(), description=fields.description, logo_url=fields.logo_url)
