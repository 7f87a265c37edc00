"""Access tokens: verifying them, and the caller of the current RPC.

Accounts signs short-lived EdDSA tokens; every service verifies them itself with
the public keys of a JSON Web Key Set, chosen by the token's `kid` header so that
a new key can be rolled in while tokens signed by the old one are still in use.
"""

import asyncio
import base64
import contextvars
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from servicekit.errors import PermissionDenied, Unauthenticated

ALGORITHMS = ["EdDSA"]
# How far apart two machines' clocks may be: a token is honoured this long before `iat` and after `exp`.
CLOCK_SKEW_SECONDS = 30


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    BOTH = "both"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    """The signed-in user an RPC runs for."""

    user_id: UUID
    role: Role
    token_id: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("this action needs the admin role")


@dataclass(frozen=True)
class Call:
    """The RPC being served: its method, who calls it (a signed-in user, another service, or nobody) and the
    request id the gateway gave it (`x-request-id`), when there is one."""

    method: str
    caller: Caller | None = None
    service: str | None = None
    request_id: str | None = None

    @property
    def principal(self) -> str:
        """Who calls, as one string: `user:<id>`, `service:<name>` or `anonymous`."""
        if self.caller is not None:
            return f"user:{self.caller.user_id}"
        return f"service:{self.service}" if self.service else "anonymous"


_current_call: contextvars.ContextVar[Call | None] = contextvars.ContextVar("call", default=None)


def current_call() -> Call | None:
    return _current_call.get()


def require_caller() -> Caller:
    call = _current_call.get()
    if call is None or call.caller is None:
        raise Unauthenticated("sign in first: this method needs a bearer token")
    return call.caller


def set_call(call: Call) -> contextvars.Token:
    return _current_call.set(call)


def keys_by_id(jwks: dict) -> dict[str, jwt.PyJWK]:
    if not jwks.get("keys"):
        return {}
    return {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}


class TokenVerifier:
    """Checks signature, expiry, issuer and audience of access tokens.

    The keys are those configured (a JWKS file) and those last fetched from accounts
    (`use_fetched_keys`), so a key accounts rolls in is trusted without a restart.
    """

    def __init__(self, jwks: dict, *, issuer: str, audience: str) -> None:
        self._keys = keys_by_id(jwks)
        self._fetched: dict[str, jwt.PyJWK] = {}
        self._issuer = issuer
        self._audience = audience
        self._unknown_key_seen = asyncio.Event()

    @classmethod
    def from_file(cls, path: Path, *, issuer: str, audience: str) -> "TokenVerifier":
        return cls(json.loads(path.read_text()), issuer=issuer, audience=audience)

    def use_fetched_keys(self, jwks: dict) -> None:
        """Trusts these keys, from accounts' ListSigningKeys, beside the configured ones."""
        self._fetched = keys_by_id(jwks)
        self._unknown_key_seen.clear()

    async def wait_for_unknown_key(self) -> None:
        """Returns once a token named a key id nobody knows: perhaps accounts rolled in a new key."""
        await self._unknown_key_seen.wait()

    def verify(self, token: str) -> Caller:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) or self._fetched.get(kid)
            if key is None:
                self._unknown_key_seen.set()
                raise Unauthenticated("the access token is signed by an unknown key")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["sub", "exp", "iat", "aud", "iss", "jti"]},
            )
            return Caller(user_id=UUID(claims["sub"]), role=Role(claims["role"]), token_id=claims["jti"])
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the access token has expired") from exc
        except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
            raise Unauthenticated("the access token is not valid") from exc


def key_id(public_jwk: dict) -> str:
    """The RFC 7638 thumbprint of an OKP public key, used as its `kid`."""
    canonical = json.dumps({k: public_jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode().rstrip("=")


class SigningKey:
    """An Ed25519 private key that signs access tokens, and its public JWK."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_jwk = json.loads(OKPAlgorithm.to_jwk(private_key.public_key()))
        self.kid = key_id(self.public_jwk)
        self.public_jwk.update(kid=self.kid, use="sig", alg="EdDSA")

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key")
        return cls(key)

    def to_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self._private_key, algorithm="EdDSA", headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict:
    return {"keys": [key.public_jwk for key in keys]}


def access_token_claims(
    user_id: UUID, role: Role, *, issuer: str, audience: str, now: datetime, ttl: timedelta
) -> dict:
    return {
        "sub": str(user_id),
        "role": role.value,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid4().hex,
    }
