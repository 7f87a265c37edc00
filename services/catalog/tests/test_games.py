import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from marketplace.catalog.v1 import catalog_service_pb2 as pb
from marketplace.catalog.v1 import resources_pb2
from testkit.grpc import error_reason, field_violations


def new_game(name: str | None = None, **fields) -> pb.CreateGameRequest:
    return pb.CreateGameRequest(game=resources_pb2.Game(name=name or f"Game {uuid.uuid4().hex[:8]}", **fields))


async def test_admin_creates_a_game_and_reads_it_back(catalog, admin):
    created = await catalog.CreateGame(new_game(description="Shooter"), metadata=admin)
    fetched = await catalog.GetGame(pb.GetGameRequest(game_id=created.id))
    assert fetched.name == created.name
    assert fetched.description == "Shooter"
    assert fetched.create_time.seconds > 0


async def test_a_user_who_is_not_admin_cannot_create_a_game(catalog, user):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateGame(new_game(), metadata=user)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_creating_a_game_needs_a_token(catalog):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateGame(new_game())
    assert err.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_missing_name_is_named_in_the_error(catalog, admin):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateGame(pb.CreateGameRequest(game=resources_pb2.Game(description="x")), metadata=admin)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "game.name" in field_violations(err.value)


async def test_a_name_too_long_and_a_bad_logo_url_are_both_reported(catalog, admin):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateGame(new_game("x" * 10_000, logo_url="ftp://nope"), metadata=admin)
    assert set(field_violations(err.value)) == {"game.name", "game.logo_url"}


async def test_game_names_are_unique_whatever_their_case(catalog, admin):
    name = f"Unique {uuid.uuid4().hex[:8]}"
    await catalog.CreateGame(new_game(name), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.CreateGame(new_game(name.upper()), metadata=admin)
    assert err.value.code() is grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(err.value) == "GAME_NAME_TAKEN"


async def test_repeating_a_request_id_creates_the_game_once(catalog, admin):
    request = new_game()
    request.request_id = uuid.uuid4().hex
    first = await catalog.CreateGame(request, metadata=admin)
    second = await catalog.CreateGame(request, metadata=admin)
    assert first.id == second.id


async def test_an_unknown_game_is_not_found_and_a_bad_id_is_invalid(catalog):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.GetGame(pb.GetGameRequest(game_id=str(uuid.uuid4())))
    assert err.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.GetGame(pb.GetGameRequest(game_id="not-a-uuid"))
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "game_id" in field_violations(err.value)


async def test_pages_of_games_cover_every_game_once(catalog, admin):
    for _ in range(5):
        await catalog.CreateGame(new_game(), metadata=admin)
    seen, token = [], ""
    while True:
        page = await catalog.ListGames(pb.ListGamesRequest(page_size=2, page_token=token))
        assert len(page.games) <= 2
        seen += [game.id for game in page.games]
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) >= 5
    names = [(await catalog.GetGame(pb.GetGameRequest(game_id=i))).name.lower() for i in seen]
    assert names == sorted(names)


async def test_an_admin_changes_only_the_fields_the_mask_names(catalog, admin):
    created = await catalog.CreateGame(
        new_game(description="Before", logo_url="https://img.example/a.png"), metadata=admin
    )
    changed = await catalog.UpdateGame(
        pb.UpdateGameRequest(
            game_id=created.id,
            game=resources_pb2.Game(name="ignored", description="After"),
            update_mask=field_mask_pb2.FieldMask(paths=["description"]),
        ),
        metadata=admin,
    )
    assert (changed.name, changed.description, changed.logo_url) == (created.name, "After", created.logo_url)
    assert changed.update_time.ToDatetime() >= created.update_time.ToDatetime()


async def test_an_update_naming_an_unknown_or_output_only_field_is_invalid(catalog, admin):
    created = await catalog.CreateGame(new_game(), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.UpdateGame(
            pb.UpdateGameRequest(
                game_id=created.id,
                game=resources_pb2.Game(),
                update_mask=field_mask_pb2.FieldMask(paths=["id", "colour"]),
            ),
            metadata=admin,
        )
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask" in field_violations(err.value)


async def test_renaming_a_game_to_a_taken_name_is_refused(catalog, admin):
    first = await catalog.CreateGame(new_game(), metadata=admin)
    second = await catalog.CreateGame(new_game(), metadata=admin)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.UpdateGame(
            pb.UpdateGameRequest(
                game_id=second.id,
                game=resources_pb2.Game(name=first.name.lower()),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            ),
            metadata=admin,
        )
    assert error_reason(err.value) == "GAME_NAME_TAKEN"


async def test_a_game_with_categories_cannot_be_deleted_until_they_are_gone(catalog, admin, user):
    created = await catalog.CreateGame(new_game(), metadata=admin)
    category = await catalog.CreateCategory(
        pb.CreateCategoryRequest(game_id=created.id, category=resources_pb2.Category(name="Things")), metadata=admin
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.DeleteGame(pb.DeleteGameRequest(game_id=created.id), metadata=user)
    assert err.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.DeleteGame(pb.DeleteGameRequest(game_id=created.id), metadata=admin)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(err.value) == "GAME_HAS_CATEGORIES"
    await catalog.DeleteCategory(pb.DeleteCategoryRequest(category_id=category.id), metadata=admin)
    deleted = await catalog.DeleteGame(pb.DeleteGameRequest(game_id=created.id), metadata=admin)
    assert deleted.name == created.name
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await catalog.GetGame(pb.GetGameRequest(game_id=created.id))
    assert err.value.code() is grpc.StatusCode.NOT_FOUND
