"""Use cases of attribute definitions; a change that would leave a stored value invalid is refused."""

import dataclasses
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import events
from catalog.domain.attributes import (
    ATTRIBUTE_IMMUTABLE,
    ATTRIBUTE_MASK,
    Attribute,
    AttributeChangeBreaksValues,
    AttributeKeyTaken,
    AttributeNotFound,
    CategoryAttributeLimit,
    RequiredAttributeWithItems,
    narrowing,
    validate_attribute,
)
from catalog.domain.values import validate_values
from catalog.models import Category
from catalog.repository import attributes as repository
from catalog.repository import audit
from catalog.repository.categories import count_items_of_category
from catalog.repository.common import Lock
from catalog.repository.items import touch_items_with_value_of
from catalog.service.categories import category_for
from catalog.service.common import lost_race
from servicekit import audit as audit_log
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.idempotency import Once
from servicekit.masks import apply_mask
from servicekit.pagination import Page, page_result
from servicekit.values import Scalar


async def _attribute_for(session: AsyncSession, attribute_id: UUID, lock: Lock = None) -> Attribute:
    attribute = await repository.get_attribute(session, attribute_id, lock)
    if attribute is None:
        raise AttributeNotFound(f"attribute {attribute_id} does not exist")
    return attribute


async def _attribute_for_change(session: AsyncSession, attribute_id: UUID) -> tuple[Attribute, Category]:
    """The attribute and its category, the category locked against other changes of its definitions."""
    category_id = (await _attribute_for(session, attribute_id)).category_id
    category = await category_for(session, category_id, "update")
    # Read again under the lock: the attribute may have changed, or gone, while we waited for it.
    return await _attribute_for(session, attribute_id, "update"), category


async def create_attribute(
    db: Database, caller: Caller, category_id: UUID, attribute: Attribute, once: Once, *, max_attributes: int
) -> Attribute:
    """Defines an attribute, up to max_attributes in a category; a required one only while the category has
    no items (the written rule)."""
    caller.require_admin()
    attribute = validate_attribute(attribute)
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            category = await category_for(session, category_id, "update")
            if await repository.count_attributes(session, category.id) >= max_attributes:
                raise CategoryAttributeLimit(max_attributes)
            if await repository.key_taken(session, category.id, attribute.key):
                raise AttributeKeyTaken(attribute.key)
            if attribute.required and (items := await count_items_of_category(session, category.id)):
                raise RequiredAttributeWithItems(items)
            created = await repository.add_attribute(session, dataclasses.replace(attribute, category_id=category.id))
            await idempotency.complete(session, once, created)
            state = audit.attribute_state(created)
            await audit_log.record(session, "attribute.created", "attribute", created.id, after=state)
            events.category_changed(session, category.id, category.game_id)
    except IntegrityError as exc:
        raise lost_race(exc, AttributeKeyTaken(attribute.key)) from exc
    return created


async def get_attribute(db: Database, attribute_id: UUID) -> Attribute:
    async with db.read() as session:
        return await _attribute_for(session, attribute_id)


async def list_attributes(db: Database, category_id: UUID, page: Page) -> tuple[list[Attribute], str]:
    async with db.read() as session:
        await category_for(session, category_id)
        found = await repository.list_attributes(session, category_id, page)
    return page_result(found, page, lambda attribute: (attribute.display_order, attribute.key))


async def check_values(
    db: Database, category_id: UUID, values: dict[str, object]
) -> tuple[Category, dict[str, Scalar], list[FieldViolation]]:
    """The category, and the values as they would be stored or every problem with them (named
    `attributes.<key>`): the rules of an item's own values, for a thing described elsewhere."""
    async with db.read() as session:
        category = await category_for(session, category_id)
        definitions = await repository.attributes_of_category(session, category_id)
    try:
        return category, validate_values(definitions, values, "attributes", require=True), []
    except InvalidArgument as invalid:
        return category, {}, invalid.violations


async def update_attribute(
    db: Database, caller: Caller, attribute_id: UUID, patch: Attribute, paths: list[str]
) -> Attribute:
    """Changes a definition; refused (409, with counts) when stored values would no longer be valid."""
    caller.require_admin()
    async with db.begin() as session:
        current, category = await _attribute_for_change(session, attribute_id)
        changed = apply_mask(
            current, patch, paths, prefix="attribute.", fields=ATTRIBUTE_MASK, immutable=ATTRIBUTE_IMMUTABLE
        )
        changed = validate_attribute(changed)
        if narrowed := narrowing(current, changed):
            items, templates = await repository.count_broken_by(session, current.id, category.id, narrowed)
            if items or templates:
                raise AttributeChangeBreaksValues(items, templates, narrowed.problems())
        updated = await repository.update_attribute(session, changed)
        before, after = audit.attribute_state(current), audit.attribute_state(updated)
        await audit_log.record(session, "attribute.updated", "attribute", updated.id, before=before, after=after)
        events.category_changed(session, category.id, category.game_id)
    return updated


async def delete_attribute(db: Database, caller: Caller, attribute_id: UUID) -> Attribute:
    """Deletes a definition and its stored values; the items and templates that had one change too."""
    caller.require_admin()
    async with db.begin() as session:
        attribute, category = await _attribute_for_change(session, attribute_id)
        for item_id, owner_id, item_category_id in await touch_items_with_value_of(session, attribute.id):
            events.item_changed(session, item_id, owner_id, item_category_id)
        for template_id in await repository.templates_with_value(session, attribute.id):
            events.template_changed(session, template_id, category.id)
        await repository.delete_attribute(session, attribute.id)
        before = audit.attribute_state(attribute)
        await audit_log.record(session, "attribute.deleted", "attribute", attribute.id, before=before)
        events.category_changed(session, category.id, category.game_id)
    return attribute
