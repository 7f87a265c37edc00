"""The catalog's gRPC servicer: proto <-> domain, nothing else."""

from grpc.aio import ServicerContext

from catalog import domain, service
from catalog.models import Game
from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import catalog_service_pb2_grpc as pb_grpc
from marketplace.catalog.v1 import resources_pb2
from servicekit.auth import require_caller
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.ids import parse_id
from servicekit.pagination import page_request


def game_to_proto(game: Game) -> resources_pb2.Game:
    return resources_pb2.Game(
        id=str(game.id),
        name=game.name,
        description=game.description,
        logo_url=game.logo_url,
        create_time=timestamp(game.created_at),
        update_time=timestamp(game.updated_at),
    )


class CatalogApi(pb_grpc.CatalogServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def CreateGame(self, request: pb.CreateGameRequest, context: ServicerContext) -> resources_pb2.Game:
        fields = domain.GameFields(
            name=request.game.name, description=request.game.description, logo_url=request.game.logo_url
        )
        game = await service.create_game(self._db, require_caller(), fields, request.request_id)
        return game_to_proto(game)

    async def GetGame(self, request: pb.GetGameRequest, context: ServicerContext) -> resources_pb2.Game:
        return game_to_proto(await service.get_game(self._db, parse_id("game_id", request.game_id)))

    async def ListGames(self, request: pb.ListGamesRequest, context: ServicerContext) -> pb.ListGamesResponse:
        games, next_token = await service.list_games(self._db, page_request(request.page_size, request.page_token))
        return pb.ListGamesResponse(games=[game_to_proto(game) for game in games], next_page_token=next_token)
