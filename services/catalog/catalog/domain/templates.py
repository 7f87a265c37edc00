"""Item templates: a kind of item whose values all its items share, such as "AK-47 | Redline"."""

import dataclasses
from dataclasses import dataclass

from catalog.domain.common import InUse, Taken, text_violations
from servicekit.errors import FieldViolation, NotFound
from servicekit.urls import url_violation

TEMPLATE_MASK = {"name": "name", "description": "description", "image_url": "image_url", "attributes": "attributes"}


class TemplateNotFound(NotFound):
    reason = "TEMPLATE_NOT_FOUND"


class TemplateNameTaken(Taken):
    reason = "TEMPLATE_NAME_TAKEN"
    what = "in this category, a template named"


class TemplateHasItems(InUse):
    reason = "TEMPLATE_HAS_ITEMS"

    def __init__(self, items: int) -> None:
        super().__init__(f"{items} items are made from the template", items=items)


@dataclass(frozen=True)
class TemplateFields:
    name: str
    description: str
    image_url: str
    attributes: dict[str, object] = dataclasses.field(default_factory=dict)


def template_violations(fields: TemplateFields, prefix: str = "template.") -> list[FieldViolation]:
    """Problems of a template's own fields (its values are checked against the category)."""
    violations = text_violations(prefix, fields.name, fields.description)
    if url_problem := url_violation(f"{prefix}image_url", fields.image_url):
        violations.append(url_problem)
    return violations
