"""Categories of a game's items, with optional sub-categories: fields, rules, errors."""

import dataclasses
from dataclasses import dataclass
from uuid import UUID

from catalog.domain.common import InUse, Taken, raise_if_any, text_violations
from servicekit.errors import NotFound

CATEGORY_MASK = {"name": "name", "description": "description", "parent_id": "parent_id"}


class CategoryNotFound(NotFound):
    reason = "CATEGORY_NOT_FOUND"


class CategoryNameTaken(Taken):
    reason = "CATEGORY_NAME_TAKEN"
    what = "in this game, a category named"


class CategoryHasItems(InUse):
    reason = "CATEGORY_HAS_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(f"{items} items belong to the category", items=items)


class CategoryHasSubcategories(InUse):
    reason = "CATEGORY_HAS_SUBCATEGORIES"

    def __init__(self, categories: int) -> None:
        super().__init__(f"the category has {categories} sub-categories: delete them first", categories=categories)


@dataclass(frozen=True)
class CategoryFields:
    name: str
    description: str
    parent_id: UUID | None = None


def validate_category(fields: CategoryFields, prefix: str = "category.") -> CategoryFields:
    raise_if_any(text_violations(prefix, fields.name, fields.description))
    return dataclasses.replace(fields, name=fields.name.strip())
