"""Users with money that tests of other contexts need, made in the running accounts over gRPC, and the
ledger's invariants."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from accounts.repository.ledger_reads import invariant_violations
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import accounts_service_pb2_grpc
from marketplace.common.v1 import money_pb2
from servicekit.auth import Role
from testkit.api import PASSWORD
from testkit.stack import Stack
from testkit.tokens import bearer, mint


@dataclass(frozen=True)
class Account:
    """A user accounts knows, with a token (gRPC metadata in `auth`)."""

    id: str
    auth: tuple


def _accounts(stack: Stack) -> accounts_service_pb2_grpc.AccountsServiceStub:
    return accounts_service_pb2_grpc.AccountsServiceStub(stack.channel("accounts"))


async def new_account(stack: Stack, funds: money_pb2.Money | None = None, role: Role = Role.BOTH) -> Account:
    """A registered user, with `funds` deposited in their wallet when given."""
    suffix = uuid.uuid4().hex[:10]
    request = pb.CreateUserRequest(email=f"t-{suffix}@example.com", username=f"t_{suffix}", password=PASSWORD)
    user = await _accounts(stack).CreateUser(request)
    account = Account(id=user.id, auth=bearer(mint(stack.signing_key, uuid.UUID(user.id), role)))
    if funds is not None:
        await _accounts(stack).DepositFunds(pb.DepositFundsRequest(amount=funds), metadata=account.auth)
    return account


async def balances(stack: Stack, account: Account, currency: str) -> tuple[int, int]:
    """The account's available and held amounts in the currency (0, 0 without a wallet)."""
    wallets = await _accounts(stack).GetMyWallets(pb.GetMyWalletsRequest(), metadata=account.auth)
    for wallet in wallets.wallets:
        if wallet.currency == currency:
            return wallet.balance.amount_minor, wallet.held.amount_minor
    return 0, 0


@asynccontextmanager
async def _ledger(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    url = stack.database_urls["accounts"].replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


async def ledger_violations(stack: Stack) -> dict:
    """What breaks the ledger's invariants in the stack's accounts database (empty when it balances)."""
    async with _ledger(stack) as connection:
        return await invariant_violations(connection)


async def platform_fees_of(stack: Stack, posting_id: str) -> int:
    """What the platform's fee accounts received in one posting (a purchase's capture): no public route
    shows the platform's side of the ledger."""
    async with _ledger(stack) as connection:
        return await connection.fetchval(
            "SELECT coalesce(sum(e.amount_minor), 0) FROM ledger_entries e"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE e.posting_id = $1 AND a.kind = 'platform_fees'",
            uuid.UUID(posting_id),
        )
