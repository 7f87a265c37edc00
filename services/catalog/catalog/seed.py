"""Demo data of the catalog (`python -m catalog seed`): safe to run again.

Rows are found by their natural keys (game name, category name in its game, attribute key
and template name in their category) and only missing ones are inserted; what exists,
including changes an admin made since, is left alone. Inserted rows get their outbox events.
"""

import dataclasses
import logging
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import events
from catalog.domain.attributes import validate_attribute
from catalog.domain.values import validate_values
from catalog.models import Category, Game, Template
from catalog.repository.attributes import add_attribute_unless_key_taken, attributes_of_category
from catalog.repository.categories import find_category_by_name
from catalog.repository.templates import replace_template_values
from catalog.seed_data import CATALOG, CategorySeed
from servicekit.runtime import Runtime

log = logging.getLogger("catalog.seed")

# The seeded games as (name, description, logo URL), the shape `make run`'s test reads.
GAMES = [(game.name, game.description, "") for game in CATALOG]


async def _game_id(session: AsyncSession, name: str, description: str) -> UUID:
    inserted = await session.scalar(
        insert(Game)
        .values(name=name, description=description, logo_url="")
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Game.id)
    )
    if inserted:
        events.game_changed(session, inserted)
        return inserted
    return await session.scalar(select(Game.id).where(Game.name == name))


async def _category(session: AsyncSession, game_id: UUID, seed: CategorySeed) -> tuple[UUID, int]:
    parent_id = None
    if seed.parent:
        parent_id = (await find_category_by_name(session, game_id, seed.parent)).id
    category_id = await session.scalar(
        insert(Category)
        .values(game_id=game_id, parent_id=parent_id, name=seed.name, description=seed.description)
        .on_conflict_do_nothing(constraint="uq_item_categories_game_id_name")
        .returning(Category.id)
    )
    changed = category_id is not None
    category_id = category_id or (await find_category_by_name(session, game_id, seed.name)).id
    for order, attribute in enumerate(seed.attributes, start=1):
        # Checked by the same rules as an admin's definition.
        attribute = validate_attribute(dataclasses.replace(attribute, category_id=category_id, display_order=order))
        changed = await add_attribute_unless_key_taken(session, attribute) is not None or changed
    if changed:
        events.category_changed(session, category_id, game_id)
    return category_id, await _templates(session, category_id, seed)


async def _templates(session: AsyncSession, category_id: UUID, seed: CategorySeed) -> int:
    attributes = await attributes_of_category(session, category_id)
    added = 0
    for template in seed.templates:
        values = validate_values(attributes, template.attributes, f"{template.name}.attributes", require=False)
        template_id = await session.scalar(
            insert(Template)
            .values(category_id=category_id, name=template.name, description=template.description, image_url="")
            .on_conflict_do_nothing(constraint="uq_item_templates_category_id_name")
            .returning(Template.id)
        )
        if template_id is None:
            continue
        added += 1
        await replace_template_values(session, template_id, category_id, attributes, values)
        events.template_changed(session, template_id, category_id)
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
