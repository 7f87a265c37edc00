"""Wallets on the double-entry ledger, through the running accounts service and by hand in SQL."""

import asyncio
import uuid

import asyncpg
import grpc
import pytest
from accounts_support import asyncpg_url, usd

from accounts.repository.ledger import Ledger
from accounts.service import ledger
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from servicekit.auth import Caller, Role
from servicekit.errors import PermissionDenied
from servicekit.money import Money
from testkit.grpc import error_reason, field_violations, rpc_error

pytestmark = pytest.mark.usefixtures("ledger_invariants")


async def funded(accounts, sign_up, amount_minor: int, currency: str = "USD"):
    me = await sign_up()
    await accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(amount_minor, currency)), metadata=me.auth)
    return me


async def wallet_of(accounts, me, currency: str = "USD") -> resources_pb2.Wallet:
    reply = await accounts.GetMyWallets(pb.GetMyWalletsRequest(), metadata=me.auth)
    [wallet] = [wallet for wallet in reply.wallets if wallet.currency == currency]
    return wallet


def hold(user_id: str, amount_minor: int, request_id: str | None = None, **fields) -> pb.HoldFundsRequest:
    return pb.HoldFundsRequest(
        request_id=request_id or uuid.uuid4().hex, user_id=user_id, amount=usd(amount_minor), **fields
    )


def capture(buyer_id: str, seller_id: str, amount_minor: int, fee_minor: int = 0, **fields) -> pb.CaptureFundsRequest:
    return pb.CaptureFundsRequest(
        request_id=fields.pop("request_id", uuid.uuid4().hex),
        buyer_id=buyer_id,
        seller_id=seller_id,
        amount=usd(amount_minor),
        fee=usd(fee_minor) if fee_minor else None,
        **fields,
    )


@pytest.fixture
async def sql(stack):
    """A bare connection to the accounts database, for what only hand-written SQL can try."""
    connection = await asyncpg.connect(asyncpg_url(stack.database_urls["accounts"]))
    yield connection
    await connection.close()


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


async def test_one_users_deposit_key_is_not_anothers(accounts, sign_up):
    first, second = await sign_up(), await sign_up()
    request = pb.DepositFundsRequest(amount=usd(100), request_id="same-key")
    await accounts.DepositFunds(request, metadata=first.auth)
    await accounts.DepositFunds(request, metadata=second.auth)
    assert (await wallet_of(accounts, second)).balance == usd(100)


async def test_a_deposit_needs_a_positive_amount_in_a_currency(accounts, sign_up):
    me = await sign_up()
    error = await rpc_error(accounts.DepositFunds(pb.DepositFundsRequest(amount=usd(0, "usd")), metadata=me.auth))
    assert set(field_violations(error)) == {"amount.currency", "amount.amount_minor"}


async def test_outside_development_only_an_admin_deposits(accounts_db, sign_up, make_admin):
    book = Ledger(accounts_db)
    user = await sign_up()
    caller = Caller(uuid.UUID(user.user.id), Role.BOTH, "t")
    with pytest.raises(PermissionDenied) as err:
        await ledger.deposit(book, caller, Money("USD", 100), "", development=False)
    assert err.value.reason == "DEPOSITS_ADMIN_ONLY"
    admin = await make_admin()
    wallet = await ledger.deposit(
        book, Caller(uuid.UUID(admin.user.id), Role.ADMIN, "t"), Money("USD", 100), "", development=False
    )
    assert wallet.available_minor == 100


async def test_a_hold_moves_available_to_held(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 5000)
    transaction_id = str(uuid.uuid4())
    posting = await accounts.HoldFunds(hold(buyer.user.id, 1200, transaction_id=transaction_id))
    assert posting.kind == resources_pb2.POSTING_KIND_HOLD
    assert posting.transaction_id == transaction_id
    assert [(e.account, e.amount.amount_minor, e.user_id) for e in posting.entries] == [
        (resources_pb2.LEDGER_ACCOUNT_AVAILABLE, -1200, buyer.user.id),
        (resources_pb2.LEDGER_ACCOUNT_HELD, 1200, buyer.user.id),
    ]
    assert {entry.posting_id for entry in posting.entries} == {posting.id}
    wallet = await wallet_of(accounts, buyer)
    assert (wallet.balance.amount_minor, wallet.held.amount_minor) == (3800, 1200)


async def test_a_hold_beyond_the_available_balance_is_insufficient_funds(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 1000)
    error = await rpc_error(accounts.HoldFunds(hold(buyer.user.id, 1001)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "INSUFFICIENT_FUNDS"
    no_wallet = await sign_up()
    error = await rpc_error(accounts.HoldFunds(hold(no_wallet.user.id, 1)))
    assert error_reason(error) == "INSUFFICIENT_FUNDS"


async def test_a_hold_for_an_unknown_user_is_not_found(accounts):
    error = await rpc_error(accounts.HoldFunds(hold(str(uuid.uuid4()), 100)))
    assert error.code() is grpc.StatusCode.NOT_FOUND


async def test_a_hold_names_every_bad_field(accounts):
    request = pb.HoldFundsRequest(
        request_id="x" * 201, user_id="nope", amount=usd(-5, "dollars"), transaction_id="also-nope"
    )
    error = await rpc_error(accounts.HoldFunds(request))
    assert set(field_violations(error)) == {
        "request_id",
        "user_id",
        "amount.currency",
        "amount.amount_minor",
        "transaction_id",
    }
    missing = await rpc_error(accounts.HoldFunds(pb.HoldFundsRequest()))
    assert set(field_violations(missing)) == {"request_id", "user_id", "amount"}


async def test_200_concurrent_holds_of_one_dollar_on_fifty_let_exactly_fifty_through(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 5000)
    results = await asyncio.gather(
        *(accounts.HoldFunds(hold(buyer.user.id, 100)) for _ in range(200)), return_exceptions=True
    )
    postings = [result for result in results if isinstance(result, resources_pb2.Posting)]
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert len(postings) == 50
    assert len(refused) == 150
    assert {error_reason(error) for error in refused} == {"INSUFFICIENT_FUNDS"}
    wallet = await wallet_of(accounts, buyer)
    assert (wallet.balance.amount_minor, wallet.held.amount_minor) == (0, 5000)


async def test_a_hold_retried_with_its_key_holds_once(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 5000)
    request = hold(buyer.user.id, 100, request_id=f"{uuid.uuid4()}:hold")
    sequential = [await accounts.HoldFunds(request) for _ in range(10)]
    concurrent = await asyncio.gather(*(accounts.HoldFunds(request) for _ in range(10)))
    assert {posting.id for posting in sequential + concurrent} == {sequential[0].id}
    assert all(posting == sequential[0] for posting in sequential + concurrent)
    wallet = await wallet_of(accounts, buyer)
    assert (wallet.balance.amount_minor, wallet.held.amount_minor) == (4900, 100)


async def test_concurrent_repeats_of_a_hold_of_the_whole_balance_all_get_the_first_posting(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 700)
    request = hold(buyer.user.id, 700)
    postings = await asyncio.gather(*(accounts.HoldFunds(request) for _ in range(10)))
    assert len({posting.id for posting in postings}) == 1
    assert (await wallet_of(accounts, buyer)).held == usd(700)


async def test_a_capture_pays_the_seller_less_the_fee_and_the_platform_the_fee(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 10000)
    seller = await sign_up()
    transaction_id = str(uuid.uuid4())
    await accounts.HoldFunds(hold(buyer.user.id, 8900, transaction_id=transaction_id))
    posting = await accounts.CaptureFunds(
        capture(buyer.user.id, seller.user.id, 8900, 445, transaction_id=transaction_id)
    )
    assert posting.kind == resources_pb2.POSTING_KIND_CAPTURE
    assert [(e.account, e.amount.amount_minor, e.user_id) for e in posting.entries] == [
        (resources_pb2.LEDGER_ACCOUNT_HELD, -8900, buyer.user.id),
        (resources_pb2.LEDGER_ACCOUNT_PLATFORM_FEES, 445, ""),
        (resources_pb2.LEDGER_ACCOUNT_AVAILABLE, 8455, seller.user.id),
    ]
    buyer_wallet = await wallet_of(accounts, buyer)
    assert (buyer_wallet.balance.amount_minor, buyer_wallet.held.amount_minor) == (1100, 0)
    seller_wallet = await wallet_of(accounts, seller)
    assert (seller_wallet.balance.amount_minor, seller_wallet.held.amount_minor) == (8455, 0)


async def test_a_capture_without_a_fee_and_one_that_is_all_fee(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 300)
    seller = await sign_up()
    await accounts.HoldFunds(hold(buyer.user.id, 300))
    no_fee = await accounts.CaptureFunds(capture(buyer.user.id, seller.user.id, 200))
    assert len(no_fee.entries) == 2
    all_fee = await accounts.CaptureFunds(capture(buyer.user.id, seller.user.id, 100, 100))
    assert [e.account for e in all_fee.entries] == [
        resources_pb2.LEDGER_ACCOUNT_HELD,
        resources_pb2.LEDGER_ACCOUNT_PLATFORM_FEES,
    ]
    assert (await wallet_of(accounts, seller)).balance == usd(200)


async def test_a_capture_beyond_what_is_held_is_refused(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 1000)
    seller = await sign_up()
    await accounts.HoldFunds(hold(buyer.user.id, 400))
    error = await rpc_error(accounts.CaptureFunds(capture(buyer.user.id, seller.user.id, 401)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "INSUFFICIENT_HELD_FUNDS"


async def test_a_fee_above_the_amount_or_in_another_currency_is_invalid(accounts, sign_up):
    buyer, seller = await sign_up(), await sign_up()
    too_big = await rpc_error(accounts.CaptureFunds(capture(buyer.user.id, seller.user.id, 100, 101)))
    assert set(field_violations(too_big)) == {"fee.amount_minor"}
    request = capture(buyer.user.id, seller.user.id, 100)
    request.fee.CopyFrom(usd(10, "EUR"))
    other_currency = await rpc_error(accounts.CaptureFunds(request))
    assert set(field_violations(other_currency)) == {"fee.currency"}


async def test_a_capture_retried_pays_once(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 1000)
    seller = await sign_up()
    await accounts.HoldFunds(hold(buyer.user.id, 1000))
    request = capture(buyer.user.id, seller.user.id, 1000, 50)
    postings = await asyncio.gather(*(accounts.CaptureFunds(request) for _ in range(5)))
    assert len({posting.id for posting in postings}) == 1
    assert (await wallet_of(accounts, seller)).balance == usd(950)


async def test_a_release_gives_held_money_back(accounts, sign_up):
    buyer = await funded(accounts, sign_up, 1000)
    await accounts.HoldFunds(hold(buyer.user.id, 600))
    request = pb.ReleaseFundsRequest(request_id=uuid.uuid4().hex, user_id=buyer.user.id, amount=usd(600))
    posting = await accounts.ReleaseFunds(request)
    assert posting.kind == resources_pb2.POSTING_KIND_RELEASE
    assert (await accounts.ReleaseFunds(request)).id == posting.id
    wallet = await wallet_of(accounts, buyer)
    assert (wallet.balance.amount_minor, wallet.held.amount_minor) == (1000, 0)
    error = await rpc_error(
        accounts.ReleaseFunds(pb.ReleaseFundsRequest(request_id="more", user_id=buyer.user.id, amount=usd(1)))
    )
    assert error_reason(error) == "INSUFFICIENT_HELD_FUNDS"


async def test_holds_captures_and_releases_across_many_wallets_keep_the_books(accounts, sign_up):
    people = [await funded(accounts, sign_up, 1000) for _ in range(6)]
    captured = []

    async def trade(index: int) -> None:
        buyer, seller = people[index % 6], people[(index + 1) % 6]
        try:
            await accounts.HoldFunds(hold(buyer.user.id, 70))
        except grpc.aio.AioRpcError as error:
            assert error_reason(error) == "INSUFFICIENT_FUNDS"
            return
        if index % 3:
            captured.append(await accounts.CaptureFunds(capture(buyer.user.id, seller.user.id, 70, 7)))
        else:
            release = pb.ReleaseFundsRequest(request_id=uuid.uuid4().hex, user_id=buyer.user.id, amount=usd(70))
            await accounts.ReleaseFunds(release)

    await asyncio.gather(*(trade(index) for index in range(120)))
    total = 0
    for person in people:
        wallet = await wallet_of(accounts, person)
        assert wallet.held.amount_minor == 0
        total += wallet.balance.amount_minor
    assert captured
    assert total == 6000 - 7 * len(captured)


async def test_the_caller_sees_their_own_entries_newest_first_in_pages(accounts, sign_up):
    me = await funded(accounts, sign_up, 1000)
    other = await funded(accounts, sign_up, 1000)
    for amount in (100, 200, 300):
        await accounts.HoldFunds(hold(me.user.id, amount))
    await accounts.HoldFunds(hold(other.user.id, 1))
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


async def accounts_of(sql, user_id: str) -> dict[str, uuid.UUID]:
    rows = await sql.fetch("SELECT kind::text, id FROM ledger_accounts WHERE user_id = $1", uuid.UUID(user_id))
    return {row["kind"]: row["id"] for row in rows}


async def write_posting(sql, lines: list[tuple[uuid.UUID, int]], currency: str = "USD") -> None:
    async with sql.transaction():
        posting_id = uuid.uuid4()
        await sql.execute(
            "INSERT INTO postings (id, kind, scope, request_id, currency) VALUES ($1, 'hold', 'hand', $2, $3)",
            posting_id,
            uuid.uuid4().hex,
            currency,
        )
        for account_id, amount in lines:
            await sql.execute(
                "INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor)"
                " VALUES (gen_random_uuid(), $1, $2, $3, $4)",
                posting_id,
                account_id,
                currency,
                amount,
            )


async def test_a_balanced_posting_written_by_hand_is_accepted_and_applied(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
    mine = await accounts_of(sql, me.user.id)
    await write_posting(sql, [(mine["available"], -300), (mine["held"], 300)])
    wallet = await wallet_of(accounts, me)
    assert (wallet.balance.amount_minor, wallet.held.amount_minor) == (700, 300)


async def test_an_unbalanced_posting_is_refused_at_commit(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [(mine["available"], -300), (mine["held"], 299)])
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [(mine["held"], 1)])
    with pytest.raises(asyncpg.CheckViolationError, match="not balanced"):
        await write_posting(sql, [])
    assert (await wallet_of(accounts, me)).balance == usd(1000)


async def test_an_entry_added_later_to_an_old_posting_is_refused(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
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


async def test_a_posting_that_overdraws_is_refused_by_the_balance_check(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await write_posting(sql, [(mine["available"], -1001), (mine["held"], 1001)])
    assert err.value.constraint_name == "ck_ledger_accounts_balance_not_negative"


async def test_an_entry_in_another_currency_than_its_account_is_refused(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
    mine = await accounts_of(sql, me.user.id)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await write_posting(sql, [(mine["available"], -10), (mine["held"], 10)], currency="EUR")


async def test_balances_change_only_through_entries(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
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


async def test_entries_and_postings_are_append_only(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
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


async def test_a_user_has_one_wallet_per_currency(accounts, sign_up, sql):
    me = await funded(accounts, sign_up, 1000)
    with pytest.raises(asyncpg.UniqueViolationError):
        await sql.execute(
            "INSERT INTO ledger_accounts (id, user_id, kind, currency) VALUES (gen_random_uuid(), $1, 'available', 'USD')",
            uuid.UUID(me.user.id),
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await sql.execute(
            "INSERT INTO ledger_accounts (id, kind, currency) VALUES (gen_random_uuid(), 'available', 'USD')"
        )
