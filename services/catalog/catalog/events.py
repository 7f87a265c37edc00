"""The integration events the catalog publishes, built from protos/marketplace/catalog/v1/events.proto.

Each function adds one event to the outbox in the caller's transaction: the service and the
seed publish through these alone, so every event of a type has the same payload.
"""

from uuid import UUID

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.models import OutboxEvent
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox


def _add(session: AsyncSession, event_type: str, subject_id: UUID, payload: Message) -> None:
    outbox.add(session, OutboxEvent, event_type, subject_id, payload)


def game_changed(session: AsyncSession, game_id: UUID, *, deleted: bool = False) -> None:
    payload = events_pb2.GameChanged(game_id=str(game_id), deleted=deleted)
    _add(session, "catalog.game.changed", game_id, payload)


def category_changed(session: AsyncSession, category_id: UUID, game_id: UUID, *, deleted: bool = False) -> None:
    """A category, or one of its attribute definitions, was created, changed or deleted."""
    payload = events_pb2.CategoryChanged(category_id=str(category_id), game_id=str(game_id), deleted=deleted)
    _add(session, "catalog.category.changed", category_id, payload)


def template_changed(session: AsyncSession, template_id: UUID, category_id: UUID, *, deleted: bool = False) -> None:
    payload = events_pb2.TemplateChanged(template_id=str(template_id), category_id=str(category_id), deleted=deleted)
    _add(session, "catalog.template.changed", template_id, payload)


def item_created(
    session: AsyncSession, item_id: UUID, owner_id: UUID, template_id: UUID | None, category_id: UUID
) -> None:
    payload = events_pb2.ItemCreated(
        item_id=str(item_id), owner_id=str(owner_id), template_id=str(template_id or ""), category_id=str(category_id)
    )
    _add(session, "catalog.item.created", item_id, payload)


def item_changed(session: AsyncSession, item_id: UUID, owner_id: UUID, category_id: UUID) -> None:
    payload = events_pb2.ItemChanged(item_id=str(item_id), owner_id=str(owner_id), category_id=str(category_id))
    _add(session, "catalog.item.changed", item_id, payload)


def item_transferred(
    session: AsyncSession, item_id: UUID, from_owner_id: UUID, to_owner_id: UUID, request_id: str
) -> None:
    payload = events_pb2.ItemTransferred(
        item_id=str(item_id), from_owner_id=str(from_owner_id), to_owner_id=str(to_owner_id), request_id=request_id
    )
    _add(session, "catalog.item.transferred", item_id, payload)
