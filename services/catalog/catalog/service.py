"""Admin use cases of the catalog: games, categories, attributes, templates.

One function per action; the end of `db.begin()` is the commit. Every change is written to
the audit log and the outbox in the transaction of the change. Item use cases are in `catalog.items`.

Locks keep definitions and values consistent: a change of a category's attributes takes the
category row FOR UPDATE; writing values (items, templates) takes it FOR SHARE, so values are
always checked against the definitions that commit with them.
"""

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import attributes, audit, domain, repository
from catalog.domain import AuditAction
from catalog.models import Attribute, Category, Game, IdempotencyKey, OutboxEvent, Template
from marketplace.catalog.v1 import events_pb2
from servicekit import idempotency, outbox
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.errors import DomainError, FieldViolation, InvalidArgument
from servicekit.pagination import Page, page_result

T = TypeVar("T")


async def claimed(session: AsyncSession, scope: str, request_id: str) -> UUID | None:
    """The first result of a repeated idempotency key; None when this request goes ahead."""
    if not request_id:
        return None
    return await idempotency.claim(session, IdempotencyKey, scope, request_id)


async def completed(session: AsyncSession, scope: str, request_id: str, result_id: UUID) -> None:
    if request_id:
        await idempotency.complete(session, IdempotencyKey, scope, request_id, result_id)


def collect(violations: list[FieldViolation], check: Callable[[], T]) -> T:
    """The result of `check`, or INVALID_ARGUMENT with its violations after those found already."""
    try:
        result = check()
    except InvalidArgument as exc:
        raise InvalidArgument(violations + exc.violations) from None
    if violations:
        raise InvalidArgument(violations)
    return result


def lost_race(exc: IntegrityError, error: DomainError) -> DomainError:
    """`error` when a concurrent change took the unique name or key first; anything else is re-raised."""
    if repository.unique_violation(exc) is None:
        raise exc
    return error


def _game_changed(session: AsyncSession, game_id: UUID, deleted: bool = False) -> None:
    event = events_pb2.GameChanged(game_id=str(game_id), deleted=deleted)
    outbox.add(session, OutboxEvent, "catalog.game.changed", game_id, event)


def _category_changed(session: AsyncSession, category: Category, deleted: bool = False) -> None:
    event = events_pb2.CategoryChanged(category_id=str(category.id), game_id=str(category.game_id), deleted=deleted)
    outbox.add(session, OutboxEvent, "catalog.category.changed", category.id, event)


def _template_changed(session: AsyncSession, template_id: UUID, category_id: UUID, deleted: bool = False) -> None:
    event = events_pb2.TemplateChanged(template_id=str(template_id), category_id=str(category_id), deleted=deleted)
    outbox.add(session, OutboxEvent, "catalog.template.changed", template_id, event)


# Games -------------------------------------------------------------------------------------


async def create_game(db: Database, caller: Caller, fields: domain.GameFields, request_id: str) -> Game:
    caller.require_admin()
    fields = domain.validate_game(fields)
    scope = f"create_game:{caller.user_id}"
    try:
        async with db.begin() as session:
            if first := await claimed(session, scope, request_id):
                return await repository.get_game(session, first)
            if await repository.find_game_by_name(session, fields.name):
                raise domain.GameNameTaken(fields.name)
            game = Game(name=fields.name, description=fields.description, logo_url=fields.logo_url)
            session.add(game)
            await session.flush()
            await completed(session, scope, request_id, game.id)
            audit.record(session, caller, AuditAction.CREATED, "game", game.id, after=audit.game_state(game))
            _game_changed(session, game.id)
    except IntegrityError as exc:
        # Two creates of one name raced past the check; the unique index decided.
        raise lost_race(exc, domain.GameNameTaken(fields.name)) from exc
    return game


async def get_game(db: Database, game_id: UUID) -> Game:
    async with db.read() as session:
        game = await repository.get_game(session, game_id)
    if game is None:
        raise domain.GameNotFound(f"game {game_id} does not exist")
    return game


async def _game_for(session: AsyncSession, game_id: UUID, lock: repository.Lock = None) -> Game:
    game = await repository.get_game(session, game_id, lock)
    if game is None:
        raise domain.GameNotFound(f"game {game_id} does not exist")
    return game


async def list_games(db: Database, page: Page) -> tuple[list[Game], str]:
    async with db.read() as session:
        games = await repository.list_games(session, page)
    return page_result(games, page, lambda game: (game.name, game.id))


async def update_game(db: Database, caller: Caller, game_id: UUID, patch: domain.GameFields, paths: list[str]) -> Game:
    caller.require_admin()
    try:
        async with db.begin() as session:
            game = await _game_for(session, game_id, "update")
            before = audit.game_state(game)
            current = domain.GameFields(name=game.name, description=game.description, logo_url=game.logo_url)
            fields = domain.apply_mask(current, patch, paths, prefix="game.", fields=domain.GAME_MASK)
            fields = domain.validate_game(fields)
            other = await repository.find_game_by_name(session, fields.name)
            if other is not None and other.id != game.id:
                raise domain.GameNameTaken(fields.name)
            game.name, game.description, game.logo_url = fields.name, fields.description, fields.logo_url
            await session.flush()
            audit.record(
                session, caller, AuditAction.UPDATED, "game", game.id, before=before, after=audit.game_state(game)
            )
            _game_changed(session, game.id)
    except IntegrityError as exc:
        raise lost_race(exc, domain.GameNameTaken(patch.name.strip())) from exc
    return game


async def delete_game(db: Database, caller: Caller, game_id: UUID) -> Game:
    """Deletes a game that has no categories (refused otherwise: delete them first)."""
    caller.require_admin()
    async with db.begin() as session:
        game = await _game_for(session, game_id, "update")
        if categories := await repository.count_categories_of_game(session, game.id):
            raise domain.GameHasCategories(categories)
        await session.delete(game)
        audit.record(session, caller, AuditAction.DELETED, "game", game.id, before=audit.game_state(game))
        _game_changed(session, game.id, deleted=True)
    return game


# Categories --------------------------------------------------------------------------------


async def _category_for(session: AsyncSession, category_id: UUID, lock: repository.Lock = None) -> Category:
    category = await repository.get_category(session, category_id, lock)
    if category is None:
        raise domain.CategoryNotFound(f"category {category_id} does not exist")
    return category


async def _parent_violations(
    session: AsyncSession, game_id: UUID, parent_id: UUID | None, category_id: UUID | None
) -> list[FieldViolation]:
    if parent_id is None:
        return []
    field = "category.parent_id"
    # FOR SHARE: the parent cannot be deleted before the sub-category commits.
    parent = await repository.get_category(session, parent_id, "share")
    if parent is None or parent.game_id != game_id:
        return [FieldViolation(field, f"there is no category {parent_id} in this game")]
    if category_id is not None and category_id in await repository.ancestor_ids(session, parent_id):
        return [FieldViolation(field, "must not be the category itself or one of its sub-categories")]
    return []


async def create_category(
    db: Database, caller: Caller, game_id: UUID, fields: domain.CategoryFields, request_id: str
) -> Category:
    caller.require_admin()
    fields = domain.validate_category(fields)
    scope = f"create_category:{caller.user_id}"
    try:
        async with db.begin() as session:
            if first := await claimed(session, scope, request_id):
                return await repository.get_category(session, first)
            # FOR SHARE: a concurrent delete of the game waits for this category, then sees it.
            await _game_for(session, game_id, "share")
            if violations := await _parent_violations(session, game_id, fields.parent_id, None):
                raise InvalidArgument(violations)
            if await repository.find_category_by_name(session, game_id, fields.name):
                raise domain.CategoryNameTaken(fields.name)
            category = Category(
                game_id=game_id, parent_id=fields.parent_id, name=fields.name, description=fields.description
            )
            session.add(category)
            await session.flush()
            await completed(session, scope, request_id, category.id)
            state = audit.category_state(category)
            audit.record(session, caller, AuditAction.CREATED, "category", category.id, after=state)
            _category_changed(session, category)
    except IntegrityError as exc:
        raise lost_race(exc, domain.CategoryNameTaken(fields.name)) from exc
    return category


async def get_category(db: Database, category_id: UUID) -> Category:
    async with db.read() as session:
        return await _category_for(session, category_id)


async def list_categories(db: Database, game_id: UUID, page: Page) -> tuple[list[Category], str]:
    async with db.read() as session:
        await _game_for(session, game_id)
        categories = await repository.list_categories(session, game_id, page)
    return page_result(categories, page, lambda category: (category.name, category.id))


async def update_category(
    db: Database, caller: Caller, category_id: UUID, patch: domain.CategoryFields, paths: list[str]
) -> Category:
    caller.require_admin()
    try:
        async with db.begin() as session:
            category = await _category_for(session, category_id, "update")
            before = audit.category_state(category)
            current = domain.CategoryFields(category.name, category.description, category.parent_id)
            fields = domain.apply_mask(current, patch, paths, prefix="category.", fields=domain.CATEGORY_MASK)
            fields = domain.validate_category(fields)
            if fields.parent_id != category.parent_id:
                # One move at a time per game: two concurrent moves could otherwise make a cycle.
                await repository.lock_category_tree(session, category.game_id)
                if violations := await _parent_violations(session, category.game_id, fields.parent_id, category.id):
                    raise InvalidArgument(violations)
            other = await repository.find_category_by_name(session, category.game_id, fields.name)
            if other is not None and other.id != category.id:
                raise domain.CategoryNameTaken(fields.name)
            category.name, category.description, category.parent_id = fields.name, fields.description, fields.parent_id
            await session.flush()
            after = audit.category_state(category)
            audit.record(session, caller, AuditAction.UPDATED, "category", category.id, before=before, after=after)
            _category_changed(session, category)
    except IntegrityError as exc:
        raise lost_race(exc, domain.CategoryNameTaken(patch.name.strip())) from exc
    return category


async def delete_category(db: Database, caller: Caller, category_id: UUID) -> Category:
    """Deletes a category with its attributes and templates; refused while items or sub-categories use it."""
    caller.require_admin()
    async with db.begin() as session:
        category = await _category_for(session, category_id, "update")
        if items := await repository.count_items_of_category(session, category.id):
            raise domain.CategoryHasItems(items)
        if children := await repository.count_subcategories(session, category.id):
            raise domain.CategoryHasSubcategories(children)
        template_ids = await repository.template_ids_of_category(session, category.id)
        await session.delete(category)
        audit.record(
            session, caller, AuditAction.DELETED, "category", category.id, before=audit.category_state(category)
        )
        _category_changed(session, category, deleted=True)
        for template_id in template_ids:
            _template_changed(session, template_id, category.id, deleted=True)
    return category


# Attributes --------------------------------------------------------------------------------


async def _attribute_for(session: AsyncSession, attribute_id: UUID) -> tuple[Attribute, Category]:
    """The attribute and its category, the category locked against other changes of its definitions."""
    attribute = await repository.get_attribute(session, attribute_id)
    if attribute is None:
        raise domain.AttributeNotFound(f"attribute {attribute_id} does not exist")
    category = await _category_for(session, attribute.category_id, "update")
    attribute = await repository.get_attribute(session, attribute_id, "update")
    if attribute is None:  # deleted while we waited for the category
        raise domain.AttributeNotFound(f"attribute {attribute_id} does not exist")
    return attribute, category


def _fields_of(attribute: Attribute) -> domain.AttributeFields:
    return domain.AttributeFields(
        name=attribute.name,
        key=attribute.key,
        type=attribute.type,
        required=attribute.required,
        allowed_values=tuple(attribute.allowed_values),
        min_value=attribute.min_value,
        max_value=attribute.max_value,
        max_length=attribute.max_length,
        unit=attribute.unit,
        filterable=attribute.filterable,
        display_order=attribute.display_order,
    )


def _spec(attribute_id: UUID, fields: domain.AttributeFields) -> attributes.AttributeSpec:
    return attributes.AttributeSpec(
        id=attribute_id,
        key=fields.key,
        type=fields.type,
        required=fields.required,
        allowed_values=fields.allowed_values,
        min_value=fields.min_value,
        max_value=fields.max_value,
        max_length=fields.max_length,
        filterable=fields.filterable,
    )


def _write_fields(attribute: Attribute, fields: domain.AttributeFields) -> None:
    for name in domain.ATTRIBUTE_MASK.values():
        value = getattr(fields, name)
        setattr(attribute, name, list(value) if name == "allowed_values" else value)


async def create_attribute(
    db: Database, caller: Caller, category_id: UUID, fields: domain.AttributeFields, request_id: str
) -> Attribute:
    """Defines an attribute; a required one only while the category has no items (the written rule)."""
    caller.require_admin()
    fields = domain.validate_attribute(fields)
    scope = f"create_attribute:{caller.user_id}"
    try:
        async with db.begin() as session:
            if first := await claimed(session, scope, request_id):
                return await repository.get_attribute(session, first)
            category = await _category_for(session, category_id, "update")
            if await repository.find_attribute_by_key(session, category.id, fields.key):
                raise domain.AttributeKeyTaken(fields.key)
            if fields.required and (items := await repository.count_items_of_category(session, category.id)):
                raise domain.RequiredAttributeWithItems(items)
            attribute = Attribute(category_id=category.id, key=fields.key, type=fields.type)
            _write_fields(attribute, fields)
            session.add(attribute)
            await session.flush()
            await completed(session, scope, request_id, attribute.id)
            state = audit.attribute_state(attribute)
            audit.record(session, caller, AuditAction.CREATED, "attribute", attribute.id, after=state)
            _category_changed(session, category)
    except IntegrityError as exc:
        raise lost_race(exc, domain.AttributeKeyTaken(fields.key)) from exc
    return attribute


async def get_attribute(db: Database, attribute_id: UUID) -> Attribute:
    async with db.read() as session:
        attribute = await repository.get_attribute(session, attribute_id)
    if attribute is None:
        raise domain.AttributeNotFound(f"attribute {attribute_id} does not exist")
    return attribute


async def list_attributes(db: Database, category_id: UUID, page: Page) -> tuple[list[Attribute], str]:
    async with db.read() as session:
        await _category_for(session, category_id)
        found = await repository.list_attributes(session, category_id, page)
    return page_result(found, page, lambda attribute: (attribute.display_order, attribute.key))


async def update_attribute(
    db: Database, caller: Caller, attribute_id: UUID, patch: domain.AttributeFields, paths: list[str]
) -> Attribute:
    """Changes a definition; refused (409, with counts) when stored values would no longer be valid."""
    caller.require_admin()
    async with db.begin() as session:
        attribute, category = await _attribute_for(session, attribute_id)
        before = audit.attribute_state(attribute)
        current = _fields_of(attribute)
        fields = domain.apply_mask(
            current,
            patch,
            paths,
            prefix="attribute.",
            fields=domain.ATTRIBUTE_MASK,
            immutable=domain.ATTRIBUTE_IMMUTABLE,
        )
        fields = domain.validate_attribute(fields)
        if narrowed := attributes.narrowing(repository.spec_of(attribute), _spec(attribute.id, fields)):
            items, templates = await repository.count_broken_by(session, attribute.id, category.id, narrowed)
            if items or templates:
                raise domain.AttributeChangeBreaksValues(items, templates, narrowed.problems())
        _write_fields(attribute, fields)
        await session.flush()
        after = audit.attribute_state(attribute)
        audit.record(session, caller, AuditAction.UPDATED, "attribute", attribute.id, before=before, after=after)
        _category_changed(session, category)
    return attribute


async def delete_attribute(db: Database, caller: Caller, attribute_id: UUID) -> Attribute:
    """Deletes a definition and its stored values; the items and templates that had one change too."""
    caller.require_admin()
    async with db.begin() as session:
        attribute, category = await _attribute_for(session, attribute_id)
        items, template_ids = await repository.items_and_templates_with_value(session, attribute.id)
        if items:
            await repository.items_changed(session, repository.with_value_of(attribute.id))
        for template_id in template_ids:
            _template_changed(session, template_id, category.id)
        await session.delete(attribute)
        audit.record(
            session, caller, AuditAction.DELETED, "attribute", attribute.id, before=audit.attribute_state(attribute)
        )
        _category_changed(session, category)
    return attribute


# Templates ---------------------------------------------------------------------------------


async def _template_for(session: AsyncSession, template_id: UUID, lock: repository.Lock = None) -> Template:
    template = await repository.get_template(session, template_id, lock)
    if template is None:
        raise domain.TemplateNotFound(f"template {template_id} does not exist")
    return template


async def create_template(
    db: Database, caller: Caller, category_id: UUID, fields: domain.TemplateFields, request_id: str
) -> tuple[Template, dict[str, attributes.Scalar]]:
    caller.require_admin()
    scope = f"create_template:{caller.user_id}"
    try:
        async with db.begin() as session:
            if first := await claimed(session, scope, request_id):
                return await _template_with_values(session, first)
            category = await _category_for(session, category_id, "share")
            specs = await repository.attribute_specs(session, category.id)
            values = collect(
                domain.template_violations(fields),
                lambda: attributes.validate_values(specs, fields.attributes, "template.attributes", require=False),
            )
            name = fields.name.strip()
            if await repository.find_template_by_name(session, category.id, name):
                raise domain.TemplateNameTaken(name)
            template = Template(
                category_id=category.id, name=name, description=fields.description, image_url=fields.image_url
            )
            session.add(template)
            await session.flush()
            await repository.replace_template_values(session, template, specs, values)
            await completed(session, scope, request_id, template.id)
            state = audit.template_state(template, values)
            audit.record(session, caller, AuditAction.CREATED, "template", template.id, after=state)
            _template_changed(session, template.id, category.id)
    except IntegrityError as exc:
        raise lost_race(exc, domain.TemplateNameTaken(fields.name.strip())) from exc
    return template, values


async def _template_with_values(
    session: AsyncSession, template_id: UUID, lock: repository.Lock = None
) -> tuple[Template, dict[str, attributes.Scalar]]:
    template = await _template_for(session, template_id, lock)
    return template, (await repository.template_values(session, [template_id]))[template_id]


async def get_template(db: Database, template_id: UUID) -> tuple[Template, dict[str, attributes.Scalar]]:
    async with db.read() as session:
        return await _template_with_values(session, template_id)


async def list_templates(
    db: Database, category_id: UUID, page: Page
) -> tuple[list[tuple[Template, dict[str, attributes.Scalar]]], str]:
    async with db.read() as session:
        await _category_for(session, category_id)
        templates, token = page_result(
            await repository.list_templates(session, category_id, page), page, lambda t: (t.name, t.id)
        )
        values = await repository.template_values(session, [template.id for template in templates])
    return [(template, values[template.id]) for template in templates], token


async def update_template(
    db: Database, caller: Caller, template_id: UUID, patch: domain.TemplateFields, paths: list[str]
) -> tuple[Template, dict[str, attributes.Scalar]]:
    """Changes a template; new values are copied into its items, which emit catalog.item.changed.

    A key the template no longer fixes stays on its items as their own value, so no item
    loses a required value and none is left invalid.
    """
    caller.require_admin()
    try:
        async with db.begin() as session:
            template, old_values = await _template_with_values(session, template_id, "update")
            category = await _category_for(session, template.category_id, "share")
            before = audit.template_state(template, old_values)
            current = domain.TemplateFields(template.name, template.description, template.image_url, old_values)
            fields = domain.apply_mask(current, patch, paths, prefix="template.", fields=domain.TEMPLATE_MASK)
            specs = await repository.attribute_specs(session, category.id)
            values = collect(
                domain.template_violations(fields),
                lambda: attributes.validate_values(specs, fields.attributes, "template.attributes", require=False),
            )
            name = fields.name.strip()
            other = await repository.find_template_by_name(session, category.id, name)
            if other is not None and other.id != template.id:
                raise domain.TemplateNameTaken(name)
            shown_changed = name != template.name or fields.image_url != template.image_url
            template.name, template.description, template.image_url = name, fields.description, fields.image_url
            await session.flush()
            if values != old_values:
                await repository.replace_template_values(session, template, specs, values)
                by_key = {spec.key: spec.id for spec in specs}
                changed = [by_key[key] for key, value in values.items() if old_values.get(key) != value]
                await repository.copy_template_values_to_items(session, template.id, changed)
                # A key the template drops stays on its items as their own value: they do not change.
                shown_changed = shown_changed or bool(changed)
            if shown_changed:
                await repository.items_changed(session, repository.of_template(template.id))
            after = audit.template_state(template, values)
            audit.record(session, caller, AuditAction.UPDATED, "template", template.id, before=before, after=after)
            _template_changed(session, template.id, category.id)
    except IntegrityError as exc:
        raise lost_race(exc, domain.TemplateNameTaken(patch.name.strip())) from exc
    return template, values


async def delete_template(
    db: Database, caller: Caller, template_id: UUID
) -> tuple[Template, dict[str, attributes.Scalar]]:
    """Deletes a template no item is made from (refused otherwise)."""
    caller.require_admin()
    async with db.begin() as session:
        template, values = await _template_with_values(session, template_id, "update")
        if items := await repository.count_items_of_template(session, template.id):
            raise domain.TemplateHasItems(items)
        await session.delete(template)
        state = audit.template_state(template, values)
        audit.record(session, caller, AuditAction.DELETED, "template", template.id, before=state)
        _template_changed(session, template.id, template.category_id, deleted=True)
    return template, values
