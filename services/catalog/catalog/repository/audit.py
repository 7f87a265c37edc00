"""Each resource as the audit log keeps it before and after a change (servicekit.audit): its fields as
the API shows them, ids as strings."""

from catalog.domain.attributes import ATTRIBUTE_IMMUTABLE, ATTRIBUTE_MASK, Attribute
from catalog.models import Category, Game, Template
from servicekit.values import Scalar


def game_state(game: Game) -> dict:
    return {"id": str(game.id), "name": game.name, "description": game.description, "logo_url": game.logo_url}


def category_state(category: Category) -> dict:
    return {
        "id": str(category.id),
        "game_id": str(category.game_id),
        "parent_id": str(category.parent_id) if category.parent_id else None,
        "name": category.name,
        "description": category.description,
    }


def attribute_state(attribute: Attribute) -> dict:
    """The definition under the proto's field names (`min`, `max`), as the API shows it."""
    fields = ATTRIBUTE_IMMUTABLE | ATTRIBUTE_MASK
    state = {path: getattr(attribute, name) for path, name in fields.items()}
    return state | {"id": str(attribute.id), "category_id": str(attribute.category_id)}


def template_state(template: Template, values: dict[str, Scalar]) -> dict:
    return {
        "id": str(template.id),
        "category_id": str(template.category_id),
        "name": template.name,
        "description": template.description,
        "image_url": template.image_url,
        "attributes": dict(values),
    }
