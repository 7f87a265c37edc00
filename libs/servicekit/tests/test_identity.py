"""Service tokens: verified once, then trusted again until they expire, and not a moment longer."""

import time

import pytest

from servicekit import identity
from servicekit.auth import CLOCK_SKEW_SECONDS, SigningKey, jwks
from servicekit.errors import Unauthenticated
from servicekit.identity import ServiceIdentity, ServiceKeys


def keys_and_signer() -> tuple[ServiceKeys, SigningKey]:
    key = SigningKey.generate()
    return ServiceKeys({"trading": jwks(key)}, audience="accounts"), key


def test_a_service_token_is_verified_once_while_it_is_valid(monkeypatch):
    keys, key = keys_and_signer()
    token = ServiceIdentity("trading", key).token_for("accounts")
    assert keys.verify(token) == "trading"

    def decode(*args, **kwargs):
        raise AssertionError("a token verified before is verified again")

    monkeypatch.setattr(identity.jwt, "decode", decode)
    assert keys.verify(token) == "trading"


def test_a_trusted_service_token_is_refused_once_it_expires():
    keys, key = keys_and_signer()
    now = int(time.time())
    # Valid for one second at least and two at most, the clock skew allowed included.
    claims = {"iss": "trading", "sub": "trading", "aud": "accounts", "iat": now, "exp": now + 2 - CLOCK_SKEW_SECONDS}
    token = key.sign(claims)
    assert keys.verify(token) == "trading"
    time.sleep(now + 2.05 - time.time())
    with pytest.raises(Unauthenticated, match="expired"):
        keys.verify(token)
