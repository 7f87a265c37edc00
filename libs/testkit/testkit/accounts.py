"""Users with money that tests of other contexts need, made in the running accounts over gRPC, and the
ledger's invariants."""

import uuid
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


async def ledger_violations(stack: Stack) -> dict:
    """What breaks the ledger's invariants in the stack's accounts database (empty when it balances)."""
    url = stack.database_urls["accounts"].replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(url)
    try:
        return await invariant_violations(connection)
    finally:
        await connection.close()
