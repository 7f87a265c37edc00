"""Games through the gateway over HTTP, as a client sees them."""

import uuid

import pytest

from servicekit.auth import Role
from testkit.api import violations
from testkit.tokens import mint


@pytest.fixture
def admin_headers(signing_key):
    return {"Authorization": f"Bearer {mint(signing_key, role=Role.ADMIN)}"}


@pytest.fixture
def user_headers(signing_key):
    return {"Authorization": f"Bearer {mint(signing_key, role=Role.BOTH)}"}


async def test_create_read_and_list_a_game(api, admin_headers):
    name = f"Game {uuid.uuid4().hex[:8]}"
    created = await api.post(
        "/v1/games", json={"name": name, "logo_url": "https://img.example/x.png"}, headers=admin_headers
    )
    assert created.status_code == 200, created.text
    game = created.json()
    assert game["name"] == name and uuid.UUID(game["id"])
    fetched = await api.get(f"/v1/games/{game['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["logo_url"] == "https://img.example/x.png"
    names, token = [], ""
    while True:
        page = (await api.get("/v1/games", params={"page_size": 100, "page_token": token})).json()
        names += [g["name"] for g in page["games"]]
        if not (token := page["next_page_token"]):
            break
    assert name in names


async def test_a_user_who_is_not_admin_gets_403(api, user_headers):
    response = await api.post("/v1/games", json={"name": "Nope"}, headers=user_headers)
    assert response.status_code == 403
    assert response.json()["status"] == "PERMISSION_DENIED"


async def test_no_token_gets_401_and_a_bad_token_too(api):
    assert (await api.post("/v1/games", json={"name": "Nope"})).status_code == 401
    bad = await api.post("/v1/games", json={"name": "Nope"}, headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "no name"}, "game.name"),
        ({"name": "x" * 10_000}, "game.name"),
        ({"name": 42}, "name"),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(api, admin_headers, body, field):
    response = await api.post("/v1/games", json=body, headers=admin_headers)
    assert response.status_code == 400, response.text
    assert any(found.endswith(field) for found in violations(response)), violations(response)


async def test_malformed_json_is_400(api, admin_headers):
    response = await api.post(
        "/v1/games", content=b'{"name": "x"', headers={**admin_headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["status"] == "INVALID_ARGUMENT"


async def test_a_bad_id_is_400_and_an_unknown_one_404(api):
    bad = await api.get("/v1/games/not-a-uuid")
    assert bad.status_code == 400
    assert "game_id" in violations(bad)
    assert (await api.get(f"/v1/games/{uuid.uuid4()}")).status_code == 404
