"""Wallets on the double-entry ledger: deposits and entries through the running service, and what the
database refuses whatever the code above it does, tried by hand in SQL. Holds are in test_holds.py."""

import uuid

import asyncpg
import pytest

from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from testkit.grpc import field_violations, rpc_error

from .accounts_support import accounts_of, hold_request, usd, write_posting

pytestmark = pytest.mark.usefixtures("ledger_invariants")


async def test_a_deposit_creates_the_wallet_and_is_idempotent(accounts, sign_up):
    me = await sign_up()
    assert list((await accounts.GetMyWallets(pb.GetMyWalletsRequest(), metadata=me.auth)).wallets) == []
    request = pb.DepositFundsRequest(amount=usd(5000), request_id="top-up-1")
    first = await accounts.DepositFunds(request, metadata=me.auth)
    again = await accounts.DepositFunds(request, metadata=me.auth)
    assert first.balance == again.balance == usd(5000)
    assert first.held == usd(0)
    assert first.user_id == me.user.id
    await accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(250, "EUR")), metadata=me.auth)
    reply = await accounts.GetMyWallets(pb.GetMyWalletsRequest(), metadata=me.auth)
    assert [(w.currency, w.balance.amount_minor) for w in reply.wallets] == [("EUR", 250), ("USD", 5000)]


async def test_one_users_deposit_key_is_not_anothers(accounts, sign_up, wallet_of):
    first, second = await sign_up(), await sign_up()
    request = pb.DepositFundsRequest(amount=usd(100), request_id="same-key")
    await accounts.DepositFunds(request, metadata=first.auth)
    await accounts.DepositFunds(request, metadata=second.auth)
    assert await wallet_of(second) == (100, 0)


async def test_a_deposit_needs_a_positive_amount_in_a_currency(accounts, sign_up):
    me = await sign_up()
    error = await rpc_error(accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(0, "usd")), metadata=me.auth))
    assert set(field_violations(error)) == {"amount.currency", "amount.amount_minor"}


async def test_the_caller_sees_their_own_entries_newest_first_in_pages(accounts, funded):
    me = await funded(1000)
    other = await funded(1000)
    for amount in (100, 200, 300):
        await accounts.HoldFunds(hold_request(me.user.id, amount))
    await accounts.HoldFunds(hold_request(other.user.id, 1))
    await accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(5, "EUR")), metadata=me.auth)

    seen, token = [], ""
    while True:
        page = await accounts.ListMyLedgerEntries(
            pb.ListMyLedgerEntriesRequest(currency="USD", page_size=3, page_token=token), metadata=me.auth
        )
        seen += page.entries
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 7  # the deposit, and two entries for each hold
    assert {entry.user_id for entry in seen} == {me.user.id}
    times = [(entry.create_time.seconds, entry.create_time.nanos) for entry in seen]
    assert times == sorted(times, reverse=True)
    assert seen[-1].kind == resources_pb2.POSTING_KIND_DEPOSIT
    assert sum(entry.amount.amount_minor for entry in seen if entry.account == resources_pb2.LEDGER_ACCOUNT_HELD) == 600
    everything = await accounts.ListMyLedgerEntries(pb.ListMyLedgerEntriesRequest(page_size=100), metadata=me.auth)
    assert {entry.amount.currency for entry in everything.entries} == {"USD", "EUR"}


# What the database refuses, whatever the code above it does -------------------------------------


async def test_a_balanced_posting_written_by_hand_is_accepted_and_applied(funded, wallet_of, sql):
    me, other = await funded(1000), await funded(1)
    mine, theirs = await accounts_of(sql, me.user.id), await accounts_of(sql, other.user.id)
    await write_posting(sql, [(mine["available"], -300), (theirs["available"], 300)])
    assert (await wallet_of(me), await wallet_of(other)) == ((700, 0), (301, 0))


async def test_an_unbalanced_posting_is_refused_at_commit(funded, wallet_of, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [(mine["available"], -300), (mine["held"], 299)])
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [(mine["held"], 1)])
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [])
    assert await wallet_of(me) == (1000, 0)


async def test_an_entry_added_later_to_an_old_posting_is_refused(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    posting_id = await sql.fetchval(
        "SELECT posting_id FROM ledger_entries WHERE account_id = $1 LIMIT 1", mine["available"]
    )
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await sql.execute(
            "INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor)"
            " VALUES (gen_random_uuid(), $1, $2, 'USD', 5)",
            posting_id,
            mine["held"],
        )


async def test_a_posting_that_overdraws_is_refused_by_the_balance_check(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await write_posting(sql, [(mine["available"], -1001), (mine["held"], 1001)])
    assert err.value.constraint_name == "ck_ledger_accounts_balance_not_negative"


async def test_an_entry_in_another_currency_than_its_account_is_refused(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await write_posting(sql, [(mine["available"], -10), (mine["held"], 10)], currency="EUR")


async def test_balances_change_only_through_entries(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.CheckViolationError, match="only through ledger entries"):
        await sql.execute("UPDATE ledger_accounts SET balance_minor = 1000000 WHERE id = $1", mine["available"])
    with pytest.raises(asyncpg.CheckViolationError, match="must start at zero"):
        await sql.execute(
            "INSERT INTO ledger_accounts (id, user_id, kind, currency, balance_minor)"
            " VALUES (gen_random_uuid(), $1, 'available', 'JPY', 500)",
            uuid.UUID(me.user.id),
        )
    with pytest.raises(asyncpg.CheckViolationError, match="cannot change"):
        await sql.execute("UPDATE ledger_accounts SET kind = 'held' WHERE id = $1", mine["available"])


async def test_entries_and_postings_are_append_only(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    for statement in (
        "UPDATE ledger_entries SET amount_minor = 1 WHERE account_id = $1",
        "DELETE FROM ledger_entries WHERE account_id = $1",
        "DELETE FROM postings WHERE id IN (SELECT posting_id FROM ledger_entries WHERE account_id = $1)",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await sql.execute(statement, mine["available"])
    with pytest.raises(asyncpg.RestrictViolationError):
        await sql.execute("TRUNCATE ledger_entries CASCADE")


async def test_a_user_has_one_wallet_per_currency(funded, sql):
    me = await funded(1000)
    with pytest.raises(asyncpg.UniqueViolationError):
        await sql.execute(
            "INSERT INTO ledger_accounts (id, user_id, kind, currency) VALUES (gen_random_uuid(), $1, 'available', 'USD')",
            uuid.UUID(me.user.id),
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await sql.execute(
            "INSERT INTO ledger_accounts (id, kind, currency) VALUES (gen_random_uuid(), 'available', 'USD')"
        )
