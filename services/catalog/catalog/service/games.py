"""Use cases of games."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog import events
from catalog.domain.games import GAME_MASK, GameFields, GameHasCategories, GameNameTaken, GameNotFound, validate_game
from catalog.models import Game
from catalog.repository import audit
from catalog.repository import games as repository
from catalog.repository.common import Lock
from catalog.service.common import lost_race
from servicekit import audit as audit_log
from servicekit import idempotency
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.idempotency import Once
from servicekit.masks import apply_mask
from servicekit.pagination import Page, page_result


async def game_for(session: AsyncSession, game_id: UUID, lock: Lock = None) -> Game:
    game = await repository.get_game(session, game_id, lock)
    if game is None:
        raise GameNotFound(f"game {game_id} does not exist")
    return game


async def create_game(db: Database, caller: Caller, fields: GameFields, once: Once) -> Game:
    caller.require_admin()
    fields = validate_game(fields)
    try:
        async with db.begin() as session:
            await idempotency.claim(session, once)
            if await repository.find_game_by_name(session, fields.name):
                raise GameNameTaken(fields.name)
            game = Game(name=fields.name, description=fields.description, logo_url=fields.logo_url)
            session.add(game)
            await session.flush()
            await idempotency.complete(session, once, game)
            await audit_log.record(session, "game.created", "game", game.id, after=audit.game_state(game))
            events.game_changed(session, game.id)
    except IntegrityError as exc:
        # Two creates of one name raced past the check; the unique index decided.
        raise lost_race(exc, GameNameTaken(fields.name)) from exc
    return game


async def get_game(db: Database, game_id: UUID) -> Game:
    async with db.connection() as connection:
        game = await repository.read_game(connection, game_id)
    if game is None:
        raise GameNotFound(f"game {game_id} does not exist")
    return game


async def list_games(db: Database, page: Page) -> tuple[list[Game], str]:
    async with db.read() as session:
        games = await repository.list_games(session, page)
    return page_result(games, page, lambda game: (game.name, game.id))


async def update_game(db: Database, caller: Caller, game_id: UUID, patch: GameFields, paths: list[str]) -> Game:
    caller.require_admin()
    try:
        async with db.begin() as session:
            game = await game_for(session, game_id, "update")
            before = audit.game_state(game)
            current = GameFields(name=game.name, description=game.description, logo_url=game.logo_url)
            fields = validate_game(apply_mask(current, patch, paths, prefix="game.", fields=GAME_MASK))
            other = await repository.find_game_by_name(session, fields.name)
            if other is not None and other.id != game.id:
                raise GameNameTaken(fields.name)
            game.name, game.description, game.logo_url = fields.name, fields.description, fields.logo_url
            await session.flush()
            await audit_log.record(
                session, "game.updated", "game", game.id, before=before, after=audit.game_state(game)
            )
            events.game_changed(session, game.id)
    except IntegrityError as exc:
        raise lost_race(exc, GameNameTaken(patch.name.strip())) from exc
    return game


async def delete_game(db: Database, caller: Caller, game_id: UUID) -> Game:
    """Deletes a game that has no categories (refused otherwise: delete them first)."""
    caller.require_admin()
    async with db.begin() as session:
        game = await game_for(session, game_id, "update")
        if categories := await repository.count_categories_of_game(session, game.id):
            raise GameHasCategories(categories)
        await session.delete(game)
        await audit_log.record(session, "game.deleted", "game", game.id, before=audit.game_state(game))
        events.game_changed(session, game.id, deleted=True)
    return game
