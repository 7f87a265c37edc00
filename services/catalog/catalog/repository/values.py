"""How attribute values are stored: one row per item (or template) and attribute, in the column of its type."""

from collections.abc import Iterable, Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from catalog.domain.attributes import Attribute, AttributeType
from catalog.models import Attribute as AttributeRow
from servicekit.values import Scalar


def stored_columns(kind: AttributeType, value: Scalar) -> dict[str, object]:
    """The typed columns of a value row: exactly the one of its type is set."""
    return {
        "value_string": value if kind.is_text else None,
        "value_number": float(value) if kind.is_numeric else None,
        "value_boolean": value if kind is AttributeType.BOOLEAN else None,
    }


def from_columns(
    kind: AttributeType, value_string: str | None, value_number: float | None, value_boolean: bool | None
) -> Scalar:
    if kind is AttributeType.INTEGER:
        return int(value_number)
    if kind is AttributeType.NUMBER:
        return value_number
    if kind is AttributeType.BOOLEAN:
        return value_boolean
    return value_string


def value_rows(
    owner: dict[str, UUID], category_id: UUID, attributes: Iterable[Attribute], values: dict[str, Scalar]
) -> list[dict]:
    """The rows of `values` for an item or template (`owner` names it), keyed by attribute key."""
    by_key = {attribute.key: attribute for attribute in attributes}
    return [
        {
            **owner,
            "category_id": category_id,
            "attribute_id": by_key[key].id,
            "type": by_key[key].type,
            **stored_columns(by_key[key].type, value),
        }
        for key, value in values.items()
    ]


async def values_by_key(
    session: AsyncSession, owner: InstrumentedAttribute[UUID], owner_ids: Sequence[UUID]
) -> dict[UUID, dict[str, Scalar]]:
    """Each item's or template's values by attribute key, in display order.

    `owner` is the owner column of a value table: ItemValue.item_id or TemplateValue.template_id.
    """
    table = owner.class_
    rows = await session.execute(
        select(owner, AttributeRow.key, table.type, table.value_string, table.value_number, table.value_boolean)
        .join(AttributeRow, AttributeRow.id == table.attribute_id)
        .where(owner.in_(owner_ids))
        .order_by(owner, AttributeRow.display_order, AttributeRow.key)
    )
    found: dict[UUID, dict[str, Scalar]] = {owner_id: {} for owner_id in owner_ids}
    for owner_id, key, kind, string, number, boolean in rows:
        found[owner_id][key] = from_columns(kind, string, number, boolean)
    return found
