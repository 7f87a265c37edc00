"""Use cases of templates; a change of a template's values reaches every item made from it."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import events
from catalog.domain.templates import (
    TEMPLATE_MASK,
    TemplateFields,
    TemplateHasItems,
    TemplateNameTaken,
    TemplateNotFound,
    template_violations,
)
from catalog.domain.values import validate_values
from catalog.models import Template
from catalog.repository import audit
from catalog.repository import templates as repository
from catalog.repository.attributes import attributes_of_category
from catalog.repository.common import Lock
from catalog.repository.items import touch_items_of_template
from catalog.service.categories import category_for
from catalog.service.common import collect, lost_race
from servicekit import audit as audit_log
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.masks import apply_mask
from servicekit.pagination import Page, page_result
from servicekit.values import Scalar


async def _template_with_values(
    session: AsyncSession, template_id: UUID, lock: Lock = None
) -> tuple[Template, dict[str, Scalar]]:
    template = await repository.get_template(session, template_id, lock)
    if template is None:
        raise TemplateNotFound(f"template {template_id} does not exist")
    return template, (await repository.template_values(session, [template_id]))[template_id]


async def create_template(
    db: Database, caller: Caller, category_id: UUID, fields: TemplateFields, once: Once
) -> tuple[Template, dict[str, Scalar]]:
    caller.require_admin()
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            category = await category_for(session, category_id, "share")
            attributes = await attributes_of_category(session, category.id)
            values = collect(
                template_violations(fields),
                lambda: validate_values(attributes, fields.attributes, "template.attributes", require=False),
            )
            name = fields.name.strip()
            if await repository.find_template_by_name(session, category.id, name):
                raise TemplateNameTaken(name)
            template = Template(
                category_id=category.id, name=name, description=fields.description, image_url=fields.image_url
            )
            session.add(template)
            await session.flush()
            await repository.replace_template_values(session, template.id, category.id, attributes, values)
            await idempotency.complete(session, once, (template, values))
            state = audit.template_state(template, values)
            await audit_log.record(session, "template.created", "template", template.id, after=state)
            events.template_changed(session, template.id, category.id)
    except IntegrityError as exc:
        raise lost_race(exc, TemplateNameTaken(fields.name.strip())) from exc
    return template, values


async def get_template(db: Database, template_id: UUID) -> tuple[Template, dict[str, Scalar]]:
    async with db.read() as session:
        return await _template_with_values(session, template_id)


async def list_templates(
    db: Database, category_id: UUID, page: Page
) -> tuple[list[tuple[Template, dict[str, Scalar]]], str]:
    async with db.read() as session:
        await category_for(session, category_id)
        templates, token = page_result(
            await repository.list_templates(session, category_id, page), page, lambda t: (t.name, t.id)
        )
        values = await repository.template_values(session, [template.id for template in templates])
    return [(template, values[template.id]) for template in templates], token


async def update_template(
    db: Database, caller: Caller, template_id: UUID, patch: TemplateFields, paths: list[str]
) -> tuple[Template, dict[str, Scalar]]:
    """Changes a template; new values are copied into its items, which emit catalog.item.changed.

    A key the template no longer fixes stays on its items as their own value, so no item
    loses a required value and none is left invalid.
    """
    caller.require_admin()
    try:
        async with db.begin() as session:
            template, old_values = await _template_with_values(session, template_id, "update")
            category = await category_for(session, template.category_id, "share")
            before = audit.template_state(template, old_values)
            current = TemplateFields(template.name, template.description, template.image_url, old_values)
            fields = apply_mask(current, patch, paths, prefix="template.", fields=TEMPLATE_MASK)
            attributes = await attributes_of_category(session, category.id)
            values = collect(
                template_violations(fields),
                lambda: validate_values(attributes, fields.attributes, "template.attributes", require=False),
            )
            name = fields.name.strip()
            other = await repository.find_template_by_name(session, category.id, name)
            if other is not None and other.id != template.id:
                raise TemplateNameTaken(name)
            shown_changed = name != template.name or fields.image_url != template.image_url
            template.name, template.description, template.image_url = name, fields.description, fields.image_url
            await session.flush()
            if values != old_values:
                await repository.replace_template_values(session, template.id, category.id, attributes, values)
                by_key = {attribute.key: attribute.id for attribute in attributes}
                changed = [by_key[key] for key, value in values.items() if old_values.get(key) != value]
                await repository.copy_template_values_to_items(session, template.id, changed)
                # A key the template drops stays on its items as their own value: they do not change.
                shown_changed = shown_changed or bool(changed)
            if shown_changed:
                for item_id, owner_id, item_category_id in await touch_items_of_template(session, template.id):
                    events.item_changed(session, item_id, owner_id, item_category_id)
            after = audit.template_state(template, values)
            await audit_log.record(session, "template.updated", "template", template.id, before=before, after=after)
            events.template_changed(session, template.id, category.id)
    except IntegrityError as exc:
        raise lost_race(exc, TemplateNameTaken(patch.name.strip())) from exc
    return template, values


async def delete_template(db: Database, caller: Caller, template_id: UUID) -> tuple[Template, dict[str, Scalar]]:
    """Deletes a template no item is made from (refused otherwise)."""
    caller.require_admin()
    async with db.begin() as session:
        template, values = await _template_with_values(session, template_id, "update")
        if items := await repository.count_items_of_template(session, template.id):
            raise TemplateHasItems(items)
        await session.delete(template)
        state = audit.template_state(template, values)
        await audit_log.record(session, "template.deleted", "template", template.id, before=state)
        events.template_changed(session, template.id, template.category_id, deleted=True)
    return template, values
