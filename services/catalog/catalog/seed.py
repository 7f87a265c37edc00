"""Demo data of the catalog (`python -m catalog seed`): safe to run again.

Rows are found by their natural keys (game name, category name in its game, attribute key
and template name in their category) and only missing ones are inserted; what exists,
including changes an admin made since, is left alone. Inserted rows get their outbox events.
"""

import logging
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import attributes, domain, repository
from catalog.models import Attribute, Category, Game, OutboxEvent, Template, TemplateValue
from catalog.seed_data import CATALOG, AttributeSeed, CategorySeed
from marketplace.catalog.v1 import events_pb2
from servicekit import outbox
from servicekit.runtime import Runtime

log = logging.getLogger("catalog.seed")

# The seeded games as (name, description, logo URL), the shape `make run`'s test reads.
GAMES = [(game.name, game.description, "") for game in CATALOG]


def _checked(seed: AttributeSeed) -> domain.AttributeFields:
    """The seed's definition, checked by the same rules as an admin's."""
    return domain.validate_attribute(
        domain.AttributeFields(
            name=seed.name,
            key=seed.key,
            type=seed.type,
            required=seed.required,
            allowed_values=seed.allowed_values,
            min_value=seed.min_value,
            max_value=seed.max_value,
            max_length=seed.max_length,
            unit=seed.unit,
            filterable=seed.filterable,
        )
    )


async def _game_id(session: AsyncSession, name: str, description: str) -> UUID:
    inserted = await session.scalar(
        insert(Game)
        .values(name=name, description=description, logo_url="")
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Game.id)
    )
    if inserted:
        outbox.add(
            session, OutboxEvent, "catalog.game.changed", inserted, events_pb2.GameChanged(game_id=str(inserted))
        )
        return inserted
    return await session.scalar(select(Game.id).where(Game.name == name))


async def _category(session: AsyncSession, game_id: UUID, seed: CategorySeed) -> tuple[UUID, int]:
    parent_id = None
    if seed.parent:
        parent_id = (await repository.find_category_by_name(session, game_id, seed.parent)).id
    category_id = await session.scalar(
        insert(Category)
        .values(game_id=game_id, parent_id=parent_id, name=seed.name, description=seed.description)
        .on_conflict_do_nothing(constraint="uq_item_categories_game_id_name")
        .returning(Category.id)
    )
    changed = category_id is not None
    category_id = category_id or (await repository.find_category_by_name(session, game_id, seed.name)).id
    for order, attribute in enumerate(seed.attributes, start=1):
        fields = _checked(attribute)
        inserted = await session.scalar(
            insert(Attribute)
            .values(
                category_id=category_id,
                key=fields.key,
                name=fields.name,
                type=fields.type,
                required=fields.required,
                allowed_values=list(fields.allowed_values),
                min_value=fields.min_value,
                max_value=fields.max_value,
                max_length=fields.max_length,
                unit=fields.unit,
                filterable=fields.filterable,
                display_order=order,
            )
            .on_conflict_do_nothing(constraint="uq_category_attributes_category_id_key")
            .returning(Attribute.id)
        )
        changed = changed or inserted is not None
    if changed:
        event = events_pb2.CategoryChanged(category_id=str(category_id), game_id=str(game_id))
        outbox.add(session, OutboxEvent, "catalog.category.changed", category_id, event)
    return category_id, await _templates(session, category_id, seed)


async def _templates(session: AsyncSession, category_id: UUID, seed: CategorySeed) -> int:
    specs = await repository.attribute_specs(session, category_id)
    by_key = {spec.key: spec for spec in specs}
    added = 0
    for template in seed.templates:
        values = attributes.validate_values(specs, template.attributes, f"{template.name}.attributes", require=False)
        template_id = await session.scalar(
            insert(Template)
            .values(category_id=category_id, name=template.name, description=template.description, image_url="")
            .on_conflict_do_nothing(constraint="uq_item_templates_category_id_name")
            .returning(Template.id)
        )
        if template_id is None:
            continue
        added += 1
        rows = [
            {
                "template_id": template_id,
                "category_id": category_id,
                "attribute_id": by_key[key].id,
                "type": by_key[key].type,
                **attributes.stored_columns(by_key[key].type, value),
            }
            for key, value in values.items()
        ]
        if rows:
            await session.execute(insert(TemplateValue), rows)
        event = events_pb2.TemplateChanged(template_id=str(template_id), category_id=str(category_id))
        outbox.add(session, OutboxEvent, "catalog.template.changed", template_id, event)
    return added


async def seed_catalog(session: AsyncSession) -> int:
    """Inserts what is missing of the demo catalog; returns how many templates it added."""
    added = 0
    for game in CATALOG:
        game_id = await _game_id(session, game.name, game.description)
        for category in game.categories:
            _, templates = await _category(session, game_id, category)
            added += templates
    return added


async def seed(runtime: Runtime) -> None:
    async with runtime.db.begin() as session:
        added = await seed_catalog(session)
    log.info("catalog seeded: %d templates added", added)
