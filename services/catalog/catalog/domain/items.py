"""Items people own: what they write when they create one, and the errors of items."""

import dataclasses
from dataclasses import dataclass
from uuid import UUID

from catalog.domain.common import description_violation, name_violation
from servicekit.errors import FailedPrecondition, FieldViolation, NotFound
from servicekit.urls import url_violation


class ItemNotFound(NotFound):
    reason = "ITEM_NOT_FOUND"


class ItemOwnerChanged(FailedPrecondition):
    reason = "ITEM_OWNER_CHANGED"


@dataclass(frozen=True)
class NewItem:
    template_id: UUID | None
    category_id: UUID | None
    name: str
    description: str
    image_url: str
    attributes: dict[str, object] = dataclasses.field(default_factory=dict)


def item_violations(item: NewItem, prefix: str = "item.") -> list[FieldViolation]:
    """Problems of an item's own fields; its name may stay empty when a template names it."""
    violations = []
    if item.template_id is None and item.category_id is None:
        violations.append(FieldViolation(f"{prefix}template_id", "name a template_id or a category_id"))
    if (item.name or item.template_id is None) and (problem := name_violation(f"{prefix}name", item.name)):
        violations.append(problem)
    if problem := description_violation(f"{prefix}description", item.description):
        violations.append(problem)
    if url_problem := url_violation(f"{prefix}image_url", item.image_url):
        violations.append(url_problem)
    return violations
