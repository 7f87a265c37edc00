"""Idempotency keys through the gateway: one effect per key, the first response again, another request refused."""

import asyncio
import uuid

from servicekit.auth import Role
from testkit.api import bearer, detail, signed_up
from testkit.tokens import mint

LISTING = {
    "title": "Jordan 1, size 44",
    "description": "Boxed.",
    "condition": "CONDITION_GOOD",
    "price": {"currency": "EUR", "amount_minor": 15000},
    "feed": "FEED_COMMUNITY",
}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def deposit(api, person, amount: int, headers: dict):
    body = {"amount": {"currency": "USD", "amount_minor": amount}}
    return await api.post("/v1/wallets/me:deposit", json=body, headers=person.headers | headers)


async def balance(api, person) -> int:
    [wallet] = (await api.get("/v1/wallets/me", headers=person.headers)).json()["wallets"]
    return int(wallet["balance"]["amount_minor"])


async def test_a_deposit_repeated_with_the_same_header_is_applied_once(api):
    me = await signed_up(api)
    same = key()
    first, again = await deposit(api, me, 100, same), await deposit(api, me, 100, same)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert await balance(api, me) == 100


async def test_a_key_reused_for_another_request_is_refused_and_changes_nothing(api):
    me = await signed_up(api)
    same = key()
    assert (await deposit(api, me, 100, same)).status_code == 200
    reused = await deposit(api, me, 5000, same)
    assert reused.status_code == 409, reused.text
    assert detail(reused, "ErrorInfo")["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert await balance(api, me) == 100


async def test_keys_belong_to_their_caller(api, things):
    alice, bob = await signed_up(api), await signed_up(api)
    same, body = key(), LISTING | {"category_id": things["id"]}
    for_alice = await api.post("/v1/listings", json=body, headers=alice.headers | same)
    for_bob = await api.post("/v1/listings", json=body, headers=bob.headers | same)
    assert for_alice.status_code == for_bob.status_code == 200
    assert for_alice.json()["seller_id"] == alice.id and for_bob.json()["seller_id"] == bob.id


async def test_concurrent_repeats_of_one_key_create_one_listing(api, things):
    seller = await signed_up(api)
    same, body = key(), LISTING | {"category_id": things["id"]}
    responses = await asyncio.gather(
        *(api.post("/v1/listings", json=body, headers=seller.headers | same) for _ in range(8))
    )
    assert {response.status_code for response in responses} == {200}
    assert len({response.json()["id"] for response in responses}) == 1


async def test_a_replay_answers_the_first_response_even_after_its_category_was_deleted(api, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    game = (await api.post("/v1/games", json={"name": f"G {uuid.uuid4().hex[:8]}"}, headers=admin)).json()
    same = key()
    path, body = f"/v1/games/{game['id']}/categories", {"name": "Couriers"}
    created = await api.post(path, json=body, headers=admin | same)
    assert created.status_code == 200, created.text
    assert (await api.delete(f"/v1/categories/{created.json()['id']}", headers=admin)).status_code == 200
    replayed = await api.post(path, json=body, headers=admin | same)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == created.json()


async def test_a_header_and_a_request_id_that_differ_are_a_400(api, things):
    seller = await signed_up(api)
    body = LISTING | {"category_id": things["id"]}
    response = await api.post(
        "/v1/listings", params={"request_id": "one"}, json=body, headers=seller.headers | {"Idempotency-Key": "two"}
    )
    assert response.status_code == 400, response.text
    assert detail(response, "BadRequest")["field_violations"][0]["field"] == "request_id"
