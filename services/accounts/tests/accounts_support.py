"""Helpers of the accounts tests (fixtures are in conftest.py), imported as `from .accounts_support import ...`."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from marketplace.common.v1 import money_pb2
from testkit.tokens import bearer

PASSWORD = "correct horse battery"


def new_registration(**fields) -> pb.CreateUserRequest:
    suffix = uuid.uuid4().hex[:10]
    values = {"email": f"user-{suffix}@example.com", "username": f"user_{suffix}", "password": PASSWORD}
    return pb.CreateUserRequest(**(values | fields))


@dataclass
class SignedIn:
    user: resources_pb2.User
    session: resources_pb2.Session

    @property
    def auth(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.session.access_token)


def asyncpg_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def usd(amount_minor: int, currency: str = "USD") -> money_pb2.Money:
    return money_pb2.Money(currency=currency, amount_minor=amount_minor)


def client_address() -> tuple[tuple[str, str], ...]:
    """An `x-forwarded-for` of a client of its own, so sign-in throttling of one test never meets another's."""
    groups = uuid.uuid4().hex
    return (("x-forwarded-for", f"2001:db8:{groups[:4]}:{groups[4:8]}::1"),)


def hold_request(user_id: str, amount_minor: int, request_id: str = "", **fields) -> pb.HoldFundsRequest:
    return pb.HoldFundsRequest(
        request_id=request_id or uuid.uuid4().hex, user_id=user_id, amount=usd(amount_minor), **fields
    )


def capture_request(
    hold_id: str, seller_id: str, amount_minor: int | None = None, fee_minor: int = 0, request_id: str = ""
) -> pb.CaptureFundsRequest:
    """Pays the hold to the seller: amount_minor of it, or all that is left when None."""
    return pb.CaptureFundsRequest(
        request_id=request_id or uuid.uuid4().hex,
        hold_id=hold_id,
        seller_id=seller_id,
        amount=usd(amount_minor) if amount_minor is not None else None,
        fee=usd(fee_minor) if fee_minor else None,
    )


def release_request(hold_id: str, amount_minor: int | None = None, request_id: str = "") -> pb.ReleaseFundsRequest:
    """Gives the hold back: amount_minor of it, or all that is left when None."""
    return pb.ReleaseFundsRequest(
        request_id=request_id or uuid.uuid4().hex,
        hold_id=hold_id,
        amount=usd(amount_minor) if amount_minor is not None else None,
    )


async def accounts_of(sql: asyncpg.Connection, user_id: str) -> dict[str, uuid.UUID]:
    """A user's ledger accounts by kind."""
    rows = await sql.fetch("SELECT kind::text, id FROM ledger_accounts WHERE user_id = $1", uuid.UUID(user_id))
    return {row["kind"]: row["id"] for row in rows}


async def write_posting(
    sql: asyncpg.Connection,
    lines: list[tuple[uuid.UUID, int]],
    currency: str = "USD",
    *,
    kind: str = "hold",
    hold_id: uuid.UUID | None = None,
    at: datetime | None = None,
    into: str = "ledger_entries",
) -> None:
    """A posting with its entries written by hand in SQL, in one transaction, past every check of the service:
    at a time of its own if given (else the transaction's), its entries into another table if named."""
    async with sql.transaction():
        posting_id = uuid.uuid4()
        await sql.execute(
            "INSERT INTO postings (id, kind, scope, request_id, currency, hold_id, created_at)"
            " VALUES ($1, $2::posting_kind, 'hand', $3, $4, $5, coalesce($6, now()))",
            posting_id,
            kind,
            uuid.uuid4().hex,
            currency,
            hold_id,
            at,
        )
        for account_id, amount in lines:
            await sql.execute(
                f"INSERT INTO {into} (id, posting_id, account_id, currency, amount_minor, created_at)"
                " VALUES (gen_random_uuid(), $1, $2, $3, $4, coalesce($5, now()))",
                posting_id,
                account_id,
                currency,
                amount,
                at,
            )
