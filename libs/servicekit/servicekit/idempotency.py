"""Idempotency keys (`request_id`): the same key returns the first response, never a second effect.

As Stripe does: a key belongs to its caller (a user, another service, or anonymous callers
together), and is stored with a hash of the request it came with (the method and every
field but request_id) and the response it got. The same key with the same request answers
that first response again, even when what it created is gone since; with another request it
is refused (IDEMPOTENCY_KEY_REUSED).

The key row is inserted first, in the same transaction as the effect, and the response is
written before that transaction commits. A concurrent request with the same key waits on
the row's lock: once the first commits it replays the first response; if the first rolled
back it goes ahead itself.

    once = Once.of(request, game_to_proto)                  # api.py, from the request
    async with db.begin() as session:                       # service.py
        await idempotency.claim(session, once)
        ...
        await idempotency.complete(session, once, game)

Keys are kept IDEMPOTENCY_KEY_RETENTION_HOURS (a week by default: far past any client's or
saga's retries) and then deleted by the service's maintenance (`prune`), a batch at a time.

A use case on a raw asyncpg connection (the ledger's hot path) passes that connection instead of
a session (servicekit.statements). It may also claim the key in the statement that takes its first
locks (`claiming`), a round trip fewer; or, a write made in one statement outside a transaction,
claim the key with its response in that statement (`claiming_answered`), made before it.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import (
    Connection,
    DateTime,
    Index,
    LargeBinary,
    String,
    bindparam,
    column,
    func,
    select,
    table,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from servicekit import pruning
from servicekit.auth import current_call
from servicekit.errors import FailedPrecondition
from servicekit.statements import Handle, Prepared, rows

MAX_KEY_LENGTH = 200


class IdempotencyKeyMixin:
    """Columns of a service's `idempotency_keys` table."""

    __tablename__ = "idempotency_keys"

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # Pruning finds the old keys by age (an index per service's table, hence a function).
        return (Index("ix_idempotency_keys_created_at", "created_at"),)

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # Null only until the claiming transaction writes it, before it commits.
    response: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_KEYS = table(
    IdempotencyKeyMixin.__tablename__,
    column("created_at", DateTime(timezone=True)),
    column("scope", String),
    column("key", String),
    column("request_hash", String),
    column("response", LargeBinary),
)


class IdempotencyKeyReused(FailedPrecondition):
    reason = "IDEMPOTENCY_KEY_REUSED"


class Replayed(Exception):
    """Raised by `claim` for a key used before with the same request; the error layer answers
    the RPC with the stored response."""

    def __init__(self, response: bytes) -> None:
        super().__init__("replayed the first response of an idempotency key")
        self.response = response


@dataclass(frozen=True)
class Once:
    """A request's idempotency key, who sent it, the hash of what it asked, and how its response is made.

    The servicer answers with `response(result)`, the very message `complete` stored: made once (the
    ledger's Hold response took 0.13 ms to make, a tenth of the call).
    """

    key: str
    scope: str
    request_hash: str
    respond: Callable[[Any], Message]
    _made: list[tuple[Any, Message]] = field(default_factory=list, repr=False, compare=False)

    def response(self, result: Any) -> Message:
        """The response to `result`, made on the first call for it."""
        if not self._made or self._made[0][0] is not result:
            self._made[:] = [(result, self.respond(result))]
        return self._made[0][1]

    @classmethod
    def of(cls, request: Message, respond: Callable[[Any], Message]) -> "Once":
        """The key of a request with a `request_id` field, sent to the RPC being served."""
        call = current_call()
        if call is None:
            raise RuntimeError("idempotency keys belong to an RPC: no call is being served")
        fields = type(request)()
        fields.CopyFrom(request)
        fields.ClearField("request_id")
        digest = hashlib.sha256(call.method.encode() + b"\0" + fields.SerializeToString(deterministic=True))
        return cls(request.request_id, call.principal, digest.hexdigest(), respond)


# Every keyed write runs these: written and compiled once. (Bind names may not be column names in an
# INSERT or UPDATE.)
_CLAIM = Prepared.of(
    insert(_KEYS)
    .values(scope=bindparam("scope_value"), key=bindparam("key_value"), request_hash=bindparam("hash_value"))
    .on_conflict_do_nothing()
    .returning(_KEYS.c.key)
)
_ANSWERED = Prepared.of(
    select(_KEYS.c.request_hash, _KEYS.c.response).where(
        _KEYS.c.scope == bindparam("scope_value"), _KEYS.c.key == bindparam("key_value")
    )
)
_COMPLETE = Prepared.of(
    update(_KEYS)
    .where(_KEYS.c.scope == bindparam("scope_value"), _KEYS.c.key == bindparam("key_value"))
    .values(response=bindparam("response_value"))
    .returning(_KEYS.c.key)
)


async def claim(handle: Handle, once: Once | None) -> None:
    """Claims the key for this transaction; raises Replayed when it answered this request before.
    Without a key (None, or an empty request_id) the request simply goes ahead."""
    if once is None or not once.key:
        return
    if not await rows(handle, _CLAIM, scope_value=once.scope, key_value=once.key, hash_value=once.request_hash):
        await refuse(handle, once)


def claiming(query: str, first: int) -> str:
    """query (one that locks what the request changes) after the claim of a key, in one statement: each row is
    `claimed` (0 when the key was taken before) and the query's columns, NULL in the one row there is when
    the query finds nothing. The key's scope, key and request hash are the parameters from $first on.

    The claim's count is the outer side of a lateral join, so it is taken before the query's locks, as
    `claim` then a statement would: a repeat waits for its first request, not in a cycle with it.
    """
    return f"""
WITH claim AS (
    INSERT INTO {IdempotencyKeyMixin.__tablename__} (scope, key, request_hash)
    VALUES (${first}, ${first + 1}, ${first + 2})
    ON CONFLICT DO NOTHING
    RETURNING key
)
SELECT claim.claimed, locked.*
FROM (SELECT count(*) AS claimed FROM claim) AS claim
LEFT JOIN LATERAL ({query}) AS locked ON true
"""


def claim_parameters(once: Once) -> tuple[str, str, str]:
    """The parameters of `claiming`'s claim."""
    return once.scope, once.key, once.request_hash


async def refuse(handle: Handle, once: Once) -> None:
    """For a key this transaction could not claim: raises Replayed, or IdempotencyKeyReused for another request."""
    await replay(handle, once)
    raise RuntimeError(f"idempotency key {once.key!r} was taken, and is not stored")


async def replay(handle: Handle, once: Once) -> None:
    """Raises Replayed with the key's stored response, or IdempotencyKeyReused when it answered another request;
    returns when the key is not stored."""
    stored = await rows(handle, _ANSWERED, scope_value=once.scope, key_value=once.key)
    if not stored:
        return
    [(request_hash, response)] = stored
    if request_hash != once.request_hash:
        raise IdempotencyKeyReused(
            "this request_id (Idempotency-Key) was used with another request: use a new key for a new request"
        )
    if response is None:
        raise RuntimeError(f"idempotency key {once.key!r} was committed without its response")
    raise Replayed(response)


async def complete(handle: Handle, once: Once | None, result: Any) -> None:
    """Stores the response to the claimed key, in the same transaction as the effect."""
    if once is not None and once.key:
        response = once.response(result).SerializeToString()
        await rows(handle, _COMPLETE, scope_value=once.scope, key_value=once.key, response_value=response)


def claiming_answered(first: int, source: str = "") -> str:
    """A CTE `claim` that claims the key with its response at once, for a write made in one statement outside a
    transaction, where no later statement could store it; its one row is the claim, none when the key was taken.
    The scope, key, request hash and response are the parameters from $first on (`answered_claim_parameters`);
    `source` (FROM, WHERE) says from what the claim is made, and so what it waits for."""
    return f"""claim AS (
    INSERT INTO {IdempotencyKeyMixin.__tablename__} (scope, key, request_hash, response)
    SELECT ${first}, ${first + 1}, ${first + 2}, ${first + 3} {source}
    ON CONFLICT DO NOTHING
    RETURNING key
)"""


def answered_claim_parameters(once: Once, result: Any) -> tuple[str, str, str, bytes]:
    """The parameters of `claiming_answered`'s claim of the key with its response to result."""
    return once.scope, once.key, once.request_hash, once.response(result).SerializeToString()


def prune(connection: Connection, older_than: timedelta) -> int:
    """Deletes the keys older than older_than; how many. On a connection in autocommit."""
    return pruning.prune(connection, _KEYS, _KEYS.c.created_at, [_KEYS.c.scope, _KEYS.c.key], older_than)
