"""The audit log of admin changes: who, when, what, and the resource before and after.

Entries are added to the session of the change itself, so they commit or roll back with it.
"""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.domain.attributes import ATTRIBUTE_IMMUTABLE, ATTRIBUTE_MASK, Attribute
from catalog.domain.audit import AuditAction
from catalog.models import AuditEntry, Category, Game, Template
from servicekit.auth import Caller
from servicekit.values import Scalar


def record(
    session: AsyncSession,
    actor: Caller,
    action: AuditAction,
    resource_type: str,
    resource_id: UUID,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor.user_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            before=before,
            after=after,
        )
    )


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
