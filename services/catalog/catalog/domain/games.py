"""Games: their fields, their rules and their errors."""

import dataclasses
from dataclasses import dataclass

from catalog.domain.common import InUse, Taken, raise_if_any, text_violations
from servicekit.errors import NotFound
from servicekit.urls import url_violation

# The proto paths an update mask may name, and the fields they change.
GAME_MASK = {"name": "name", "description": "description", "logo_url": "logo_url"}


class GameNotFound(NotFound):
    reason = "GAME_NOT_FOUND"


class GameNameTaken(Taken):
    reason = "GAME_NAME_TAKEN"
    what = "a game named"


class GameHasCategories(InUse):
    reason = "GAME_HAS_CATEGORIES"

    def __init__(self, categories: int) -> None:
        super().__init__(f"the game has {categories} categories: delete them first", categories=categories)


@dataclass(frozen=True)
class GameFields:
    """The fields of a game that people write."""

    name: str
    description: str
    logo_url: str


def validate_game(fields: GameFields, prefix: str = "game.") -> GameFields:
    """The game with its name trimmed, or INVALID_ARGUMENT listing every problem."""
    violations = text_violations(prefix, fields.name, fields.description)
    if url_problem := url_violation(f"{prefix}logo_url", fields.logo_url):
        violations.append(url_problem)
    raise_if_any(violations)
    return dataclasses.replace(fields, name=fields.name.strip())
