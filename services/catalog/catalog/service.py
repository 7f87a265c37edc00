"""Use cases of the catalog: one function per action; the end of `db.begin()` is the commit."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError

from catalog import domain, repository
from catalog.models import Game, IdempotencyKey, OutboxEvent
from marketplace.catalog.v1 import events_pb2
from servicekit import idempotency, outbox
from servicekit.auth import Caller
from servicekit.db import Database
from servicekit.pagination import Page, page_result


async def create_game(db: Database, caller: Caller, fields: domain.GameFields, request_id: str) -> Game:
    caller.require_admin()
    fields = domain.validate_game(fields)
    scope = f"create_game:{caller.user_id}"
    try:
        async with db.begin() as session:
            if request_id and (first := await idempotency.claim(session, IdempotencyKey, scope, request_id)):
                return await repository.get_game(session, first)
            if await repository.find_game_by_name(session, fields.name):
                raise domain.GameNameTaken(fields.name)
            game = Game(name=fields.name, description=fields.description, logo_url=fields.logo_url)
            session.add(game)
            await session.flush()
            if request_id:
                await idempotency.complete(session, IdempotencyKey, scope, request_id, game.id)
            outbox.add(
                session, OutboxEvent, "catalog.game.changed", game.id, events_pb2.GameChanged(game_id=str(game.id))
            )
    except IntegrityError as exc:
        # Two creates of one name raced past the check; the unique index decided.
        raise domain.GameNameTaken(fields.name) from exc
    return game


async def get_game(db: Database, game_id: UUID) -> Game:
    async with db.read() as session:
        game = await repository.get_game(session, game_id)
    if game is None:
        raise domain.GameNotFound(f"game {game_id} does not exist")
    return game


async def list_games(db: Database, page: Page) -> tuple[list[Game], str]:
    async with db.read() as session:
        games = await repository.list_games(session, page)
    return page_result(games, page, lambda game: (game.name, game.id))
