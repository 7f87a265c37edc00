"""Helpers for end-to-end tests that talk to the gateway over HTTP, as a client would."""

import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "correct horse battery"


def fresh_user(**fields) -> dict:
    suffix = uuid.uuid4().hex[:10]
    return {"email": f"e2e-{suffix}@example.com", "username": f"e2e_{suffix}", "password": PASSWORD} | fields


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def detail(response: httpx.Response, type_name: str) -> dict:
    [found] = [d for d in response.json()["details"] if d["@type"].endswith(f"/google.rpc.{type_name}")]
    return found


def violations(response: httpx.Response) -> set[str]:
    return {violation["field"] for violation in detail(response, "BadRequest")["field_violations"]}


def ok(response: httpx.Response):
    """The JSON body of a 200; any other answer fails the test with its body."""
    assert response.status_code == 200, response.text
    return response.json()


def reason(response: httpx.Response) -> str:
    """The stable reason of an error answer (its ErrorInfo)."""
    return detail(response, "ErrorInfo")["reason"]


async def register(api: httpx.AsyncClient, **fields) -> dict:
    response = await api.post("/v1/users", json=fresh_user(**fields))
    assert response.status_code == 200, response.text
    return response.json()


async def sign_in(api: httpx.AsyncClient, login: str, password: str = PASSWORD) -> dict:
    response = await api.post("/v1/sessions", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


@dataclass(frozen=True)
class Person:
    """A registered, signed-in user."""

    id: str
    headers: dict[str, str]


async def signed_up(api: httpx.AsyncClient) -> Person:
    user = await register(api)
    session = await sign_in(api, user["email"])
    return Person(id=user["id"], headers=bearer(session["access_token"]))


async def deposit(api, person: Person, amount_minor: int, currency: str = "USD", request_id: str = "") -> dict:
    body = {"amount": {"currency": currency, "amount_minor": amount_minor}}
    if request_id:
        body["request_id"] = request_id
    response = await api.post("/v1/wallets/me:deposit", json=body, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def wallet(api, person: Person, currency: str = "USD") -> tuple[int, int]:
    """The person's available and held amounts in the currency (0, 0 without a wallet in it)."""
    response = await api.get("/v1/wallets/me", headers=person.headers)
    assert response.status_code == 200, response.text
    for found in response.json().get("wallets", []):
        if found["currency"] == currency:
            return int(found["balance"]["amount_minor"]), int(found["held"]["amount_minor"])
    return 0, 0


async def funded(api: httpx.AsyncClient, amount_minor: int, currency: str = "USD") -> Person:
    """A signed-up person with this much in their wallet."""
    person = await signed_up(api)
    await deposit(api, person, amount_minor, currency)
    return person


async def new_category(api: httpx.AsyncClient, admin_headers: dict[str, str], *attributes: dict) -> dict:
    """A category of a new game, with these attribute definitions (JSON bodies), made by an admin."""
    game = await api.post("/v1/games", json={"name": f"Game {uuid.uuid4().hex[:10]}"}, headers=admin_headers)
    assert game.status_code == 200, game.text
    category = await api.post(
        f"/v1/games/{game.json()['id']}/categories", json={"name": "Things"}, headers=admin_headers
    )
    assert category.status_code == 200, category.text
    for attribute in attributes:
        path = f"/v1/categories/{category.json()['id']}/attributes"
        created = await api.post(path, json=attribute, headers=admin_headers)
        assert created.status_code == 200, created.text
    return category.json()
