"""Service identities: which service of ours is calling.

Every service holds an Ed25519 key of its own (SERVICE_KEY_FILE) and the public keys of
every service (SERVICE_KEYS_FILE: `{"trading": {"keys": [...]}, ...}`, a JWKS per
service, so a service may roll in a new key beside the old one). A call to another
service carries `x-service-token`: a JWT signed with the caller's key, issued by its name,
for the called service only (`aud`), valid for a few minutes. The called service checks it
against the caller's published keys; the contract names who may call each internal method
(`marketplace.common.v1.callers`).

Tokens rather than mTLS: the same Ed25519 and JWT code that verifies users serves, the
identities are plain Secrets in Kubernetes, and a developer can mint one for grpcurl
(`python -m devstack service-token trading accounts`).
"""

import json
import time
from pathlib import Path

import grpc
import jwt
from grpc.aio import ClientCallDetails, UnaryStreamClientInterceptor, UnaryUnaryClientInterceptor

from servicekit.auth import ALGORITHMS, CLOCK_SKEW_SECONDS, SigningKey, keys_by_id
from servicekit.errors import Unauthenticated

SERVICE_TOKEN_KEY = "x-service-token"
TOKEN_TTL_SECONDS = 300
# A cached token is replaced this long before it expires, so none arrives stale.
RENEW_BEFORE_SECONDS = 60


class ServiceKeys:
    """The published public keys of every service: verifies service tokens sent to `audience`.

    A caller sends the same token for minutes (ServiceIdentity), and checking its signature took half
    of a ledger call's time in accounts (0.3 ms of 0.6 for a call that does nothing else): a token
    verified once is trusted again until it expires. Nothing else can change its verdict, since these
    keys are fixed for the life of the process.
    """

    # Valid tokens only, so only our services' keys make entries: a few per calling replica.
    MAX_VERIFIED = 1024

    def __init__(self, keys: dict[str, dict], *, audience: str) -> None:
        self._keys = {service: keys_by_id(document) for service, document in keys.items()}
        self._audience = audience
        self._verified: dict[str, tuple[str, float]] = {}  # token -> service, the last instant it is valid

    @classmethod
    def from_file(cls, path: Path | None, *, audience: str) -> "ServiceKeys":
        return cls(json.loads(path.read_text()) if path else {}, audience=audience)

    def verify(self, token: str) -> str:
        """The name of the service that signed the token, or UNAUTHENTICATED."""
        service, valid_until = self._verified.get(token, ("", 0.0))
        if time.time() < valid_until:
            return service
        try:
            service = jwt.decode(token, options={"verify_signature": False}).get("iss")
            key = self._keys.get(service, {}).get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                raise Unauthenticated("the service token is signed by an unknown key")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=service,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the service token has expired") from exc
        except (jwt.InvalidTokenError, ValueError) as exc:
            raise Unauthenticated("the service token is not valid") from exc
        if len(self._verified) >= self.MAX_VERIFIED:
            self._verified.clear()
        # As long as jwt.decode would honour it (until exp + leeway), and no longer.
        self._verified[token] = (service, int(claims["exp"]) + CLOCK_SKEW_SECONDS)
        return service


class ServiceIdentity:
    """This service's name and key: mints the tokens it sends, one per called service, reused until near expiry."""

    def __init__(self, name: str, key: SigningKey) -> None:
        self.name = name
        self._key = key
        self._tokens: dict[str, tuple[str, float]] = {}

    @classmethod
    def from_file(cls, name: str, path: Path) -> "ServiceIdentity":
        return cls(name, SigningKey.from_pem(path.read_bytes()))

    def token_for(self, audience: str) -> str:
        token, expires = self._tokens.get(audience, ("", 0.0))
        now = time.time()
        if expires - now < RENEW_BEFORE_SECONDS:
            expires = now + TOKEN_TTL_SECONDS
            claims = {"iss": self.name, "sub": self.name, "aud": audience, "iat": int(now), "exp": int(expires)}
            token = self._key.sign(claims)
            self._tokens[audience] = (token, expires)
        return token


class _WithServiceToken:
    def __init__(self, identity: ServiceIdentity, audience: str) -> None:
        self._identity = identity
        self._audience = audience

    def _with_token(self, details: ClientCallDetails) -> ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        metadata.add(SERVICE_TOKEN_KEY, self._identity.token_for(self._audience))
        return details._replace(metadata=metadata)


class _UnaryWithServiceToken(_WithServiceToken, UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._with_token(client_call_details), request)


class _StreamWithServiceToken(_WithServiceToken, UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._with_token(client_call_details), request)


def service_token_interceptors(identity: ServiceIdentity, audience: str) -> list:
    """Interceptors that add this service's token for `audience` to every call of a channel
    (grpc.aio files each interceptor under one kind of call only, hence two)."""
    return [_UnaryWithServiceToken(identity, audience), _StreamWithServiceToken(identity, audience)]
