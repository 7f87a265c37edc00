"""Input that once passed the checks and then failed inside: every one is a 400 naming the field."""

import base64
import json
import uuid

import pytest

from servicekit.auth import Role
from testkit.api import bearer, register, signed_up, violations
from testkit.tokens import mint

LISTING = {
    "title": "Air Max 90, size 44",
    "description": "Worn twice.",
    "condition": "CONDITION_GOOD",
    "price": {"currency": "EUR", "amount_minor": 8900},
    "feed": "FEED_COMMUNITY",
}
LONG_KEY = "k" * 201


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100, 100_000])
async def test_deeply_nested_json_is_a_400(api, depth):
    body = '{"type": "VERIFICATION_TYPE_ADDRESS", "data": {"a": ' + nested(depth) + "}}"
    person = await signed_up(api)
    response = await api.post(
        "/v1/verifications", content=body, headers=person.headers | {"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "nested" in response.json()["message"]


async def test_a_nul_character_in_a_sign_in_is_a_400(api):
    response = await api.post("/v1/sessions", json={"login": "ad\x00min", "password": "x"})
    assert response.status_code == 400, response.text
    assert violations(response) == {"login"}


async def test_a_nul_character_in_a_bio_is_a_400(api):
    person = await signed_up(api)
    response = await api.patch("/v1/users/me", json={"bio": "hi\x00"}, headers=person.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"profile.bio"}


async def test_a_nul_character_deep_in_verification_data_is_a_400(api):
    person = await signed_up(api)
    body = {"type": "VERIFICATION_TYPE_ADDRESS", "data": {"street": {"lines": ["1 Main St", "flat\x00"]}}}
    response = await api.post("/v1/verifications", json=body, headers=person.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"verification.data.street.lines[1]"}


async def test_a_nul_character_in_a_listing_title_writes_nothing(api):
    seller = await signed_up(api)
    response = await api.post("/v1/listings", json=LISTING | {"title": "Air\x00Max"}, headers=seller.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"listing.title"}


def forged_token(*key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


ANY_ID = {"u": str(uuid.uuid4())}


@pytest.mark.parametrize(
    "path", ["/v1/conversations", "/v1/wallets/me/entries", "/v1/verifications", "/v1/users/me/items"]
)
@pytest.mark.parametrize("time", ["9999-12-31T23:59:59-14:00", "2026-01-01T00:00:00"], ids=["year-9999", "naive"])
async def test_a_forged_time_in_a_page_token_is_a_400(api, path, time):
    person = await signed_up(api)
    response = await api.get(path, params={"page_token": forged_token({"t": time}, ANY_ID)}, headers=person.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"page_token"}


async def test_a_nul_character_in_a_page_token_is_a_400(api):
    response = await api.get("/v1/games", params={"page_token": forged_token("Dota\x002", ANY_ID)})
    assert response.status_code == 400, response.text
    assert violations(response) == {"page_token"}


async def test_an_integer_past_int4_in_a_page_token_is_a_400(api, signing_key):
    admin = bearer(mint(signing_key, role=Role.ADMIN))
    game = (await api.post("/v1/games", json={"name": f"G {uuid.uuid4().hex[:8]}"}, headers=admin)).json()
    category = (await api.post(f"/v1/games/{game['id']}/categories", json={"name": "Skins"}, headers=admin)).json()
    token = forged_token(2**40, "rarity")
    response = await api.get(f"/v1/categories/{category['id']}/attributes", params={"page_token": token})
    assert response.status_code == 400, response.text
    assert violations(response) == {"page_token"}


async def test_a_request_id_past_200_characters_is_a_400_on_every_create(api):
    person = await signed_up(api)
    user = await api.post(
        "/v1/users", json={"email": "x@example.com", "username": "x", "password": "p" * 12, "request_id": LONG_KEY}
    )
    listing = await api.post("/v1/listings", params={"request_id": LONG_KEY}, json=LISTING, headers=person.headers)
    conversation = await api.post(
        "/v1/conversations",
        json={"listing_id": str(uuid.uuid4()), "text": "hi", "request_id": LONG_KEY},
        headers=person.headers,
    )
    item = await api.post(
        "/v1/items", params={"request_id": LONG_KEY}, json={"template_id": str(uuid.uuid4())}, headers=person.headers
    )
    for response in (user, listing, conversation, item):
        assert response.status_code == 400, response.text
        assert "request_id" in violations(response)


async def test_a_currency_with_a_trailing_newline_is_a_400(api, things):
    seller = await signed_up(api)
    body = LISTING | {"category_id": things["id"], "price": {"currency": "EUR\n", "amount_minor": 100}}
    response = await api.post("/v1/listings", json=body, headers=seller.headers)
    assert response.status_code == 400, response.text
    assert violations(response) == {"listing.price.currency"}


async def test_a_bad_registration_leaves_no_user_behind(api):
    fields = {"username": f"nul_{uuid.uuid4().hex[:8]}", "display_name": "a\x00"}
    await api.post("/v1/users", json={"email": f"{fields['username']}@example.com", "password": "p" * 12, **fields})
    again = await register(api, username=fields["username"], email=f"{fields['username']}@example.com")
    assert again["username"] == fields["username"]
