"""Accounts through the gateway over HTTP, as a client sees them: register, sign in, use the token."""

import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accounts import service
from servicekit.auth import Role, SigningKey
from servicekit.db import Database
from testkit.tokens import mint

PASSWORD = "correct horse battery"


def fresh_user(**fields) -> dict:
    suffix = uuid.uuid4().hex[:10]
    return {"email": f"e2e-{suffix}@example.com", "username": f"e2e_{suffix}", "password": PASSWORD} | fields


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def detail(response, type_name: str) -> dict:
    [found] = [d for d in response.json()["details"] if d["@type"].endswith(f"/google.rpc.{type_name}")]
    return found


def violations(response) -> set[str]:
    return {violation["field"] for violation in detail(response, "BadRequest")["field_violations"]}


async def register(api, **fields) -> dict:
    response = await api.post("/v1/users", json=fresh_user(**fields))
    assert response.status_code == 200, response.text
    return response.json()


async def sign_in(api, login: str, password: str = PASSWORD) -> dict:
    response = await api.post("/v1/sessions", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
async def accounts_db(stack):
    db = Database(stack.database_urls["accounts"], pool_size=1)
    yield db
    await db.dispose()


async def test_register_sign_in_and_read_me_with_the_token(api):
    created = await api.post("/v1/users", json=fresh_user(role="ROLE_SELLER"))
    assert created.status_code == 200, created.text
    user = created.json()
    assert uuid.UUID(user["id"])
    assert (user["role"], user["status"]) == ("ROLE_SELLER", "USER_STATUS_ACTIVE")
    assert not {"password", "password_hash"} & set(user)

    session = await sign_in(api, user["email"])
    assert session["token_type"] == "Bearer"
    assert int(session["expires_in"]) == 900
    assert session["refresh_token"]

    me = await api.get("/v1/users/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["id"], body["email"], body["username"]) == (user["id"], user["email"], user["username"])
    assert body["role"] == "ROLE_SELLER"
    assert "profile" in body


async def test_signing_in_with_the_username_in_another_case_works(api):
    user = await register(api)
    session = await sign_in(api, user["username"].upper())
    assert session["user_id"] == user["id"]


async def test_a_duplicate_email_in_another_letter_case_is_409_naming_the_field(api):
    user = await register(api)
    response = await api.post("/v1/users", json=fresh_user(email=user["email"].upper()))
    assert response.status_code == 409
    info = detail(response, "ErrorInfo")
    assert (info["reason"], info["metadata"]["field"]) == ("EMAIL_TAKEN", "email")


async def test_a_duplicate_username_is_409_naming_the_field(api):
    user = await register(api)
    response = await api.post("/v1/users", json=fresh_user(username=user["username"].swapcase()))
    assert response.status_code == 409
    assert detail(response, "ErrorInfo")["metadata"]["field"] == "username"


async def test_a_wrong_password_is_401_exactly_like_an_unknown_user(api):
    user = await register(api)
    wrong_password = await api.post("/v1/sessions", json={"login": user["email"], "password": "not the password"})
    unknown_user = await api.post(
        "/v1/sessions", json={"login": f"nobody-{uuid.uuid4().hex}@example.com", "password": "not the password"}
    )
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()


async def test_missing_fields_are_400_with_each_field_named(api):
    response = await api.post("/v1/users", json={"username": "someone"})
    assert response.status_code == 400
    assert violations(response) == {"email", "password"}


async def test_every_invalid_field_is_400_and_named_at_once(api):
    response = await api.post(
        "/v1/users", json={"email": "nope", "username": "a b", "password": "short", "role": "ROLE_ADMIN"}
    )
    assert response.status_code == 400
    assert violations(response) == {"email", "username", "password", "role"}


async def test_a_password_equal_to_the_username_is_400(api):
    body = fresh_user()
    response = await api.post("/v1/users", json=body | {"password": body["username"]})
    assert response.status_code == 400
    assert violations(response) == {"password"}


async def test_a_wrong_json_type_and_malformed_json_are_400(api):
    wrong_type = await api.post("/v1/users", json=fresh_user(email=12345))
    assert wrong_type.status_code == 400
    malformed = await api.post("/v1/users", content=b'{"email": ', headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400


def forged(signing_key: SigningKey) -> str:
    """Claims an admin's token signed by the real key (its kid) but signed by another."""
    claims = jwt.decode(mint(signing_key, role=Role.ADMIN), options={"verify_signature": False})
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": signing_key.kid})


BAD_TOKENS = {
    "forged": forged,
    "other key": lambda key: mint(SigningKey.generate(), role=Role.ADMIN),
    "expired": lambda key: mint(key, role=Role.ADMIN, ttl=timedelta(seconds=-60)),
    "wrong audience": lambda key: mint(key, role=Role.ADMIN, audience="another-audience"),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_a_bad_token_is_401_on_accounts_and_on_catalog(api, signing_key, kind):
    headers = bearer(BAD_TOKENS[kind](signing_key))
    me = await api.get("/v1/users/me", headers=headers)
    assert me.status_code == 401, me.text
    game = await api.post("/v1/games", json={"name": f"Game {uuid.uuid4().hex[:8]}"}, headers=headers)
    assert game.status_code == 401, game.text


async def test_me_without_a_token_is_401(api):
    assert (await api.get("/v1/users/me")).status_code == 401


async def test_a_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(api):
    user = await register(api)
    first = await sign_in(api, user["email"])
    second = await api.post("/v1/sessions:refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await api.get("/v1/users/me", headers=bearer(rotated["access_token"]))).status_code == 200

    reused = await api.post("/v1/sessions:refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert detail(reused, "ErrorInfo")["reason"] == "REFRESH_TOKEN_REUSED"
    revoked = await api.post("/v1/sessions:refresh", json={"refresh_token": rotated["refresh_token"]})
    assert revoked.status_code == 401


async def test_signing_out_ends_the_refresh_token(api):
    user = await register(api)
    session = await sign_in(api, user["username"])
    assert (await api.post("/v1/sessions:revoke", json={"refresh_token": session["refresh_token"]})).status_code == 200
    refused = await api.post("/v1/sessions:refresh", json={"refresh_token": session["refresh_token"]})
    assert refused.status_code == 401


async def test_the_signing_keys_verify_the_tokens_accounts_issues(api):
    keys = (await api.get("/v1/signing-keys")).json()["keys"]
    session = await sign_in(api, (await register(api))["email"])
    kid = jwt.get_unverified_header(session["access_token"])["kid"]
    [key] = [key for key in keys if key["kid"] == kid]
    public = jwt.PyJWK({name: value for name, value in key.items() if value}).key
    claims = jwt.decode(session["access_token"], public, algorithms=["EdDSA"], audience="marketplace")
    assert claims["role"] == "both"


async def test_a_signed_in_admin_creates_a_game_and_a_signed_in_user_may_not(api, accounts_db):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    await service.ensure_admin(accounts_db, email, "admin password 1")
    admin = await sign_in(api, email, "admin password 1")
    name = f"Game {uuid.uuid4().hex[:8]}"
    created = await api.post("/v1/games", json={"name": name}, headers=bearer(admin["access_token"]))
    assert created.status_code == 200, created.text
    assert created.json()["name"] == name

    user = await sign_in(api, (await register(api))["email"])
    refused = await api.post("/v1/games", json={"name": f"{name} 2"}, headers=bearer(user["access_token"]))
    assert refused.status_code == 403
