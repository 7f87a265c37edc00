"""Accounts through the gateway over HTTP, as a client sees them: register, sign in, use the token."""

import asyncio
import uuid
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from accounts.models import RefreshToken
from accounts.service import users
from gateway.app import create_app
from servicekit.auth import Role, SigningKey
from servicekit.config import PoolSettings
from servicekit.db import Database
from testkit.api import PASSWORD, Person, bearer, detail, fresh_user, register, sign_in, signed_up, violations
from testkit.http import serve_asgi
from testkit.stack import replica
from testkit.tokens import mint


@pytest.fixture(scope="module")
async def accounts_db(stack):
    db = Database(stack.database_urls["accounts"], PoolSettings(size=1))
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


def on_every_service(api, headers: dict[str, str]) -> dict:
    """One request to each of the four services, with these headers."""
    return {
        "accounts": lambda: api.get("/v1/users/me", headers=headers),
        "catalog": lambda: api.post("/v1/games", json={"name": f"Game {uuid.uuid4().hex[:8]}"}, headers=headers),
        "trading": lambda: api.get(f"/v1/listings/{uuid.uuid4()}", headers=headers),
        "messaging": lambda: api.get("/v1/conversations", headers=headers),
    }


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_a_bad_token_is_401_on_every_service(api, signing_key, kind):
    for service_name, request in on_every_service(api, bearer(BAD_TOKENS[kind](signing_key))).items():
        response = await request()
        assert response.status_code == 401, (service_name, response.text)


async def test_me_without_a_token_is_401(api):
    assert (await api.get("/v1/users/me")).status_code == 401


async def test_a_refresh_rotates_a_quick_retry_is_answered_and_a_late_reuse_revokes_the_family(api, accounts_db):
    user = await register(api)
    first = await sign_in(api, user["email"])
    second = await api.post("/v1/sessions:refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await api.get("/v1/users/me", headers=bearer(rotated["access_token"]))).status_code == 200

    # A client whose first answer got lost asks again at once: it gets a session too.
    retried = await api.post("/v1/sessions:refresh", json={"refresh_token": first["refresh_token"]})
    assert retried.status_code == 200, retried.text
    # A minute later the same token is a stolen copy.
    async with accounts_db.begin() as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == uuid.UUID(user["id"]), RefreshToken.replaced_by.is_not(None))
            .values(revoked_at=RefreshToken.revoked_at - timedelta(minutes=1))
        )
    reused = await api.post("/v1/sessions:refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert detail(reused, "ErrorInfo")["reason"] == "REFRESH_TOKEN_REUSED"
    for session in (rotated, retried.json()):
        revoked = await api.post("/v1/sessions:refresh", json={"refresh_token": session["refresh_token"]})
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
    await users.ensure_admin(accounts_db, email, "admin password 1")
    admin = await sign_in(api, email, "admin password 1")
    name = f"Game {uuid.uuid4().hex[:8]}"
    created = await api.post("/v1/games", json={"name": name}, headers=bearer(admin["access_token"]))
    assert created.status_code == 200, created.text
    assert created.json()["name"] == name

    user = await sign_in(api, (await register(api))["email"])
    refused = await api.post("/v1/games", json={"name": f"{name} 2"}, headers=bearer(user["access_token"]))
    assert refused.status_code == 403


# Profiles --------------------------------------------------------------------------------


async def test_patch_me_changes_the_fields_sent_with_nested_location_paths(api):
    me = await signed_up(api)
    patched = await api.patch(
        "/v1/users/me",
        json={"display_name": "Ada", "location": {"latitude": 52.52, "longitude": 13.405}},
        headers=me.headers,
    )
    assert patched.status_code == 200, patched.text
    profile = patched.json()["profile"]
    assert profile["display_name"] == "Ada"
    assert (profile["location"]["latitude"], profile["location"]["longitude"]) == (52.52, 13.405)
    # Only the latitude sent: the gateway's mask is location.latitude, the longitude stays.
    moved = await api.patch("/v1/users/me", json={"location": {"latitude": 48.137}}, headers=me.headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["profile"]["location"] == {"latitude": 48.137, "longitude": 13.405}
    assert moved.json()["profile"]["display_name"] == "Ada"
    # An explicit mask in the query wins over the body.
    masked = await api.patch(
        "/v1/users/me?update_mask=bio", json={"bio": "Collector.", "display_name": "ignored"}, headers=me.headers
    )
    assert (masked.json()["profile"]["bio"], masked.json()["profile"]["display_name"]) == ("Collector.", "Ada")


async def test_patch_me_with_bad_values_is_400_naming_each(api):
    me = await signed_up(api)
    response = await api.patch(
        "/v1/users/me",
        json={"avatar_url": "not a url", "location": {"latitude": 100, "longitude": 0}},
        headers=me.headers,
    )
    assert response.status_code == 400
    assert violations(response) == {"profile.avatar_url", "profile.location.latitude"}
    assert (await api.patch("/v1/users/me", json={"bio": "x"})).status_code == 401


async def test_a_public_profile_is_open_to_anyone_and_shows_nothing_private(api):
    me = await signed_up(api)
    await api.patch("/v1/users/me", json={"bio": "Hi", "location": {"latitude": 1, "longitude": 2}}, headers=me.headers)
    response = await api.get(f"/v1/users/{me.id}")
    assert response.status_code == 200, response.text
    public = response.json()
    assert (public["user_id"], public["bio"], public["verification_level"]) == (me.id, "Hi", 0)
    assert not {"email", "phone", "location", "profile"} & set(public)
    assert (await api.get(f"/v1/users/{uuid.uuid4()}")).status_code == 404
    assert (await api.get("/v1/users/not-a-uuid")).status_code == 400
    # "me" is the caller's own view, not a user id.
    assert (await api.get("/v1/users/me", headers=me.headers)).json()["id"] == me.id


# Verifications ---------------------------------------------------------------------------


async def admin_of(api, accounts_db) -> Person:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    await users.ensure_admin(accounts_db, email, "admin password 1")
    session = await sign_in(api, email, "admin password 1")
    return Person(id=session["user_id"], headers=bearer(session["access_token"]))


async def test_a_verification_is_asked_approved_by_an_admin_and_raises_the_level(api, accounts_db):
    me, admin = await signed_up(api), await admin_of(api, accounts_db)
    asked = await api.post(
        "/v1/verifications",
        json={"type": "VERIFICATION_TYPE_EMAIL", "data": {"email": "ada@example.com"}},
        headers=me.headers,
    )
    assert asked.status_code == 200, asked.text
    verification = asked.json()
    assert (verification["status"], verification["data"]) == (
        "VERIFICATION_STATUS_PENDING",
        {"email": "ada@example.com"},
    )

    refused = await api.post(f"/v1/verifications/{verification['id']}:approve", headers=me.headers)
    assert refused.status_code == 403

    approved = await api.post(f"/v1/verifications/{verification['id']}:approve", headers=admin.headers)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["reviewer_id"]) == ("VERIFICATION_STATUS_APPROVED", admin.id)
    public = (await api.get(f"/v1/users/{me.id}")).json()
    assert (public["verification_level"], public["verified"]) == (1, ["VERIFICATION_TYPE_EMAIL"])

    again = await api.post(f"/v1/verifications/{verification['id']}:approve", headers=admin.headers)
    assert again.status_code == 409


async def test_a_rejection_carries_its_reason_and_non_admins_may_not_reject(api, accounts_db):
    me, admin = await signed_up(api), await admin_of(api, accounts_db)
    asked = (await api.post("/v1/verifications", json={"type": "VERIFICATION_TYPE_ADDRESS"}, headers=me.headers)).json()
    url = f"/v1/verifications/{asked['id']}:reject"
    assert (await api.post(url, json={"reason": "no"}, headers=me.headers)).status_code == 403
    assert (await api.post(url, json={}, headers=admin.headers)).status_code == 400
    rejected = await api.post(url, json={"reason": "The bill is older than three months."}, headers=admin.headers)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["reason"] == "The bill is older than three months."
    assert rejected.json()["status"] == "VERIFICATION_STATUS_REJECTED"
    assert (
        await api.post("/v1/verifications/" + str(uuid.uuid4()) + ":approve", headers=admin.headers)
    ).status_code == 404


async def test_verifications_are_listed_to_their_owner_and_to_admins(api, accounts_db):
    me, other, admin = await signed_up(api), await signed_up(api), await admin_of(api, accounts_db)
    mine = (await api.post("/v1/verifications", json={"type": "VERIFICATION_TYPE_PHONE"}, headers=me.headers)).json()
    listed = (await api.get("/v1/verifications", headers=me.headers)).json()["verifications"]
    assert [v["id"] for v in listed] == [mine["id"]]
    assert (await api.get(f"/v1/verifications?user_id={me.id}", headers=other.headers)).status_code == 403
    queue = await api.get(
        f"/v1/verifications?status=VERIFICATION_STATUS_PENDING&user_id={me.id}", headers=admin.headers
    )
    assert [v["id"] for v in queue.json()["verifications"]] == [mine["id"]]
    assert (
        await api.post("/v1/verifications", json={"type": "VERIFICATION_TYPE_PHONE"}, headers=me.headers)
    ).status_code == 409
    assert (await api.post("/v1/verifications", json={}, headers=me.headers)).status_code == 400


# Suspensions and throttling ----------------------------------------------------------------


async def status_within(request, wanted: int, seconds: float = 10.0) -> int:
    """The other services learn of a suspension from accounts' event feed: poll briefly."""
    async with asyncio.timeout(seconds):
        while (response := await request()).status_code != wanted:
            await asyncio.sleep(0.05)
    return response.status_code


async def test_a_suspended_users_token_is_401_on_every_service_until_reinstated(api, accounts_db):
    user, admin = await register(api), await admin_of(api, accounts_db)
    session = await sign_in(api, user["email"])
    headers = bearer(session["access_token"])
    requests = on_every_service(api, headers)
    assert (await requests["accounts"]()).status_code == 200
    assert (await requests["messaging"]()).status_code == 200

    refused = await api.post(f"/v1/users/{user['id']}:suspend", json={"reason": "fraud"}, headers=headers)
    assert refused.status_code == 403
    suspended = await api.post(f"/v1/users/{user['id']}:suspend", json={"reason": "fraud"}, headers=admin.headers)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "USER_STATUS_SUSPENDED"

    me = await requests["accounts"]()
    assert me.status_code == 401 and detail(me, "ErrorInfo")["reason"] == "USER_SUSPENDED"
    for name in ("catalog", "trading", "messaging"):
        assert await status_within(requests[name], 401) == 401, name
    login = await api.post("/v1/sessions", json={"login": user["email"], "password": PASSWORD})
    assert login.status_code == 403
    refresh = await api.post("/v1/sessions:refresh", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401

    reinstated = await api.post(f"/v1/users/{user['id']}:reinstate", headers=admin.headers)
    assert reinstated.json()["status"] == "USER_STATUS_ACTIVE"
    fresh = bearer((await sign_in(api, user["email"]))["access_token"])
    assert await status_within(on_every_service(api, fresh)["messaging"], 200) == 200
    assert (await api.get("/v1/users/me", headers=fresh)).status_code == 200


async def test_repeated_wrong_passwords_from_one_address_are_429_and_then_even_the_right_one_waits(api):
    user = await register(api)
    for _ in range(5):
        wrong = await api.post("/v1/sessions", json={"login": user["email"], "password": "not the password"})
        assert wrong.status_code == 401
    throttled = await api.post("/v1/sessions", json={"login": user["username"], "password": PASSWORD})
    assert throttled.status_code == 429, throttled.text
    info = detail(throttled, "ErrorInfo")
    assert info["reason"] == "TOO_MANY_FAILED_SIGN_INS"
    assert int(info["metadata"]["retry_after_seconds"]) > 0


async def test_a_burst_of_registrations_from_one_address_is_429_with_a_retry_delay(stack):
    # A replica with a low limit; the counters are the stack's, shared by every replica.
    async with (
        replica(stack, "accounts", registrations_per_client=2) as address,
        serve_asgi(create_app(addresses={**stack.addresses, "accounts": address})) as gateway,
    ):
        responses = [await gateway.post("/v1/users", json=fresh_user()) for _ in range(3)]
    throttled = responses[-1]
    assert throttled.status_code == 429, throttled.text
    info = detail(throttled, "ErrorInfo")
    assert info["reason"] == "TOO_MANY_REGISTRATIONS"
    assert 0 < int(info["metadata"]["retry_after_seconds"]) <= 3600
