"""The audit log each context keeps of its admin actions and settings changes, in its own database.

An entry says who acted (the caller's principal: `user:<id>`, `service:<name>`), what they did (a
stable action such as "game.created", "settings.changed", "verification.approved"), to which
resource, how that looked before and after, the request id of the call, and when. `record` adds it
in the caller's transaction (a session, or the ledger's asyncpg connection), so it commits or rolls
back with the change it describes: a refused change leaves no entry. `list_entries` is the one use
case behind every context's ListAuditEntries: newest first, in keyset pages, by actor, action,
target and time, each filter served by an index that ends in the sort key.
"""

from datetime import UTC, datetime

from google.protobuf import struct_pb2
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Select,
    String,
    column,
    func,
    insert,
    select,
    table,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from marketplace.common.v1 import audit_pb2
from servicekit.auth import Call, Caller, current_call
from servicekit.convert import timestamp
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.pagination import BigInt, page_request, page_result
from servicekit.statements import Handle, json_text, rows

MAX_ACTOR = 200
MAX_ACTION = 100
MAX_TARGET_TYPE = 50
MAX_TARGET_ID = 200
MAX_REQUEST_ID = 200


class AuditEntryMixin:
    """Columns of a service's `audit_log` table; the service maps it on its own Base."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR))
    action: Mapped[str] = mapped_column(String(MAX_ACTION))
    target_type: Mapped[str] = mapped_column(String(MAX_TARGET_TYPE))
    target_id: Mapped[str] = mapped_column(String(MAX_TARGET_ID))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(MAX_REQUEST_ID))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @declared_attr.directive
    def __table_args__(cls):
        return (
            CheckConstraint("before IS NOT NULL OR after IS NOT NULL", name="has_a_state"),
            Index("ix_audit_log_occurred_at_id", "occurred_at", "id"),
            Index("ix_audit_log_actor_occurred_at_id", "actor", "occurred_at", "id"),
            Index("ix_audit_log_action_occurred_at_id", "action", "occurred_at", "id"),
            Index("ix_audit_log_target_type_target_id_occurred_at_id", "target_type", "target_id", "occurred_at", "id"),
        )


_LOG = table(
    AuditEntryMixin.__tablename__,
    column("id", BigInteger),
    column("actor", String),
    column("action", String),
    column("target_type", String),
    column("target_id", String),
    column("before", JSONB),
    column("after", JSONB),
    column("request_id", String),
    column("occurred_at", DateTime(timezone=True)),
)


def _call() -> Call:
    call = current_call()
    if call is None:
        raise RuntimeError("audit entries belong to an RPC: no call is being served")
    return call


def actor() -> str:
    """Who the RPC being served acts for, as the audit log names them."""
    return _call().principal


async def record(
    handle: Handle,
    action: str,
    target_type: str,
    target_id: object,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Adds an entry for the RPC being served, in the handle's transaction."""
    call = _call()
    await rows(
        handle,
        insert(_LOG).values(
            actor=call.principal,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=json_text(before),
            after=json_text(after),
            # The gateway passes on a client's X-Request-Id: keep what fits.
            request_id=call.request_id[:MAX_REQUEST_ID] if call.request_id else None,
        ),
    )


def _time(request: audit_pb2.ListAuditEntriesRequest, field: str, violations: list[FieldViolation]) -> datetime | None:
    if not request.HasField(field):
        return None
    try:
        return getattr(request, field).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        violations.append(FieldViolation(field, "is not a time PostgreSQL can store"))
        return None


def _query(request: audit_pb2.ListAuditEntriesRequest) -> Select:
    """The entries the request's filters let through, newest first; every problem at once."""
    violations: list[FieldViolation] = []
    start, end = _time(request, "start_time", violations), _time(request, "end_time", violations)
    if start is not None and end is not None and end <= start:
        violations.append(FieldViolation("end_time", "must be after start_time"))
    limits = {"actor": MAX_ACTOR, "action": MAX_ACTION, "target_type": MAX_TARGET_TYPE, "target_id": MAX_TARGET_ID}
    for field, limit in limits.items():
        if len(getattr(request, field)) > limit:
            violations.append(FieldViolation(field, f"must be at most {limit} characters"))
    if violations:
        raise InvalidArgument(violations)
    stmt = select(_LOG)
    for field in limits:
        if value := getattr(request, field):
            stmt = stmt.where(_LOG.c[field] == value)
    if start is not None:
        stmt = stmt.where(_LOG.c.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(_LOG.c.occurred_at < end)
    return stmt.order_by(_LOG.c.occurred_at.desc(), _LOG.c.id.desc())


def _struct(state: dict | None) -> struct_pb2.Struct | None:
    if state is None:
        return None
    result = struct_pb2.Struct()
    result.update(state)
    return result


def _to_proto(row) -> audit_pb2.AuditEntry:
    return audit_pb2.AuditEntry(
        id=str(row.id),
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        before=_struct(row.before),
        after=_struct(row.after),
        request_id=row.request_id or "",
        create_time=timestamp(row.occurred_at),
    )


async def list_entries(
    db: Database, caller: Caller, request: audit_pb2.ListAuditEntriesRequest
) -> audit_pb2.ListAuditEntriesResponse:
    """A page of the audit log, newest first, for an admin."""
    caller.require_admin()
    stmt = _query(request)
    page = page_request(request.page_size, request.page_token)
    if after := page.after_key(datetime, BigInt):
        stmt = stmt.where(tuple_(_LOG.c.occurred_at, _LOG.c.id) < after)
    async with db.read() as session:
        found = list(await session.execute(stmt.limit(page.size + 1)))
    found, token = page_result(found, page, key=lambda row: (row.occurred_at, row.id))
    return audit_pb2.ListAuditEntriesResponse(entries=[_to_proto(row) for row in found], next_page_token=token)
