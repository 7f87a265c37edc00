"""Holds: a buyer's money in escrow, named, captured to a seller or released back, in parts, never
beyond what is left of it, once per key; through the running service and by hand in SQL."""

import asyncio
import uuid
from datetime import UTC

import asyncpg
import grpc
import pytest

from accounts.api import escrow_to_proto
from accounts.domain.ledger import LedgerAccountKind, capture_legs
from accounts.repository.ledger import AccountsMissing, Ledger
from accounts.service import ledger as ledger_service
from marketplace.accounts.v1 import accounts_service_pb2 as pb
from marketplace.accounts.v1 import resources_pb2
from servicekit.idempotency import Once
from testkit.grpc import error_metadata, error_reason, field_violations, rpc_error

from .accounts_support import capture_request, hold_request, release_request, usd, write_posting

pytestmark = pytest.mark.usefixtures("ledger_invariants")


def entries(posting: resources_pb2.Posting) -> list[tuple]:
    return [(entry.account, entry.amount.amount_minor, entry.user_id) for entry in posting.entries]


async def test_a_hold_moves_available_money_into_a_named_hold(accounts, funded, wallet_of):
    buyer = await funded(5000)
    transaction_id = str(uuid.uuid4())
    reply = await accounts.HoldFunds(hold_request(buyer.user.id, 1200, transaction_id=transaction_id))
    hold = reply.hold
    uuid.UUID(hold.id)
    assert (hold.user_id, hold.transaction_id, hold.status) == (
        buyer.user.id,
        transaction_id,
        resources_pb2.HOLD_STATUS_OPEN,
    )
    assert (hold.amount, hold.remaining, hold.captured, hold.released) == (usd(1200), usd(1200), usd(0), usd(0))
    assert reply.posting.kind == resources_pb2.POSTING_KIND_HOLD
    assert (reply.posting.hold_id, reply.posting.transaction_id) == (hold.id, transaction_id)
    assert entries(reply.posting) == [
        (resources_pb2.LEDGER_ACCOUNT_AVAILABLE, -1200, buyer.user.id),
        (resources_pb2.LEDGER_ACCOUNT_HELD, 1200, buyer.user.id),
    ]
    assert await wallet_of(buyer) == (3800, 1200)


async def test_a_hold_beyond_the_available_balance_is_insufficient_funds(accounts, funded, sign_up):
    buyer = await funded(1000)
    error = await rpc_error(accounts.HoldFunds(hold_request(buyer.user.id, 1001)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "INSUFFICIENT_FUNDS"
    assert error_metadata(error) == {"available": "1000"}
    no_wallet = await sign_up()
    error = await rpc_error(accounts.HoldFunds(hold_request(no_wallet.user.id, 1)))
    assert error_reason(error) == "INSUFFICIENT_FUNDS"


async def test_a_hold_for_an_unknown_user_is_not_found(accounts):
    error = await rpc_error(accounts.HoldFunds(hold_request(str(uuid.uuid4()), 100)))
    assert error.code() is grpc.StatusCode.NOT_FOUND


async def test_a_hold_names_every_bad_field(accounts):
    request = pb.HoldFundsRequest(
        request_id="h1", user_id="nope", amount=usd(-5, "dollars"), transaction_id="also-nope"
    )
    error = await rpc_error(accounts.HoldFunds(request))
    assert set(field_violations(error)) == {
        "user_id",
        "amount.currency",
        "amount.amount_minor",
        "transaction_id",
    }
    missing = await rpc_error(accounts.HoldFunds(pb.HoldFundsRequest()))
    assert set(field_violations(missing)) == {"request_id", "user_id", "amount"}


async def test_200_concurrent_holds_of_one_dollar_on_fifty_let_exactly_fifty_through(accounts, funded, wallet_of):
    buyer = await funded(5000)
    results = await asyncio.gather(
        *(accounts.HoldFunds(hold_request(buyer.user.id, 100)) for _ in range(200)), return_exceptions=True
    )
    held = [result for result in results if isinstance(result, pb.HoldFundsResponse)]
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert (len(held), len(refused)) == (50, 150)
    assert len({reply.hold.id for reply in held}) == 50
    assert {error_reason(error) for error in refused} == {"INSUFFICIENT_FUNDS"}
    assert await wallet_of(buyer) == (0, 5000)


async def test_a_hold_retried_with_its_key_holds_once(accounts, funded, wallet_of):
    buyer = await funded(5000)
    request = hold_request(buyer.user.id, 100, request_id=f"{uuid.uuid4()}:hold")
    sequential = [await accounts.HoldFunds(request) for _ in range(10)]
    concurrent = await asyncio.gather(*(accounts.HoldFunds(request) for _ in range(10)))
    assert all(reply == sequential[0] for reply in sequential + concurrent)
    assert await wallet_of(buyer) == (4900, 100)


async def test_concurrent_repeats_of_a_hold_of_the_whole_balance_all_get_the_first_hold(accounts, funded, wallet_of):
    buyer = await funded(700)
    request = hold_request(buyer.user.id, 700)
    replies = await asyncio.gather(*(accounts.HoldFunds(request) for _ in range(10)))
    assert len({(reply.hold.id, reply.posting.id) for reply in replies}) == 1
    assert await wallet_of(buyer) == (0, 700)


async def test_two_holds_of_one_buyer_keep_their_money_apart(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(10000), await sign_up()
    bought = (await accounts.HoldFunds(hold_request(buyer.user.id, 3000))).hold
    other = (await accounts.HoldFunds(hold_request(buyer.user.id, 2000))).hold
    # The buyer holds 5,000 in all, but this purchase's hold only 3,000: the rest is another's escrow.
    error = await rpc_error(accounts.CaptureFunds(capture_request(bought.id, seller.user.id, 5000)))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "AMOUNT_EXCEEDS_HOLD"
    assert error_metadata(error) == {"remaining_minor": "3000"}
    paid = await accounts.CaptureFunds(capture_request(bought.id, seller.user.id))
    assert (paid.hold.captured, paid.hold.remaining, paid.hold.status) == (
        usd(3000),
        usd(0),
        resources_pb2.HOLD_STATUS_CLOSED,
    )
    closed = await rpc_error(accounts.CaptureFunds(capture_request(bought.id, seller.user.id)))
    assert error_reason(closed) == "HOLD_CLOSED"
    released = await accounts.ReleaseFunds(release_request(other.id))
    assert (released.hold.released, released.hold.remaining) == (usd(2000), usd(0))
    assert await wallet_of(buyer) == (7000, 0)
    assert await wallet_of(seller) == (3000, 0)


async def test_a_capture_pays_the_seller_less_the_fee_and_the_platform_the_fee(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(10000), await sign_up()
    transaction_id = str(uuid.uuid4())
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 8900, transaction_id=transaction_id))).hold
    reply = await accounts.CaptureFunds(capture_request(hold.id, seller.user.id, fee_minor=445))
    assert (reply.posting.kind, reply.posting.hold_id) == (resources_pb2.POSTING_KIND_CAPTURE, hold.id)
    assert reply.posting.transaction_id == transaction_id  # the hold's, recorded on every posting of it
    assert entries(reply.posting) == [
        (resources_pb2.LEDGER_ACCOUNT_HELD, -8900, buyer.user.id),
        (resources_pb2.LEDGER_ACCOUNT_PLATFORM_FEES, 445, ""),
        (resources_pb2.LEDGER_ACCOUNT_AVAILABLE, 8455, seller.user.id),
    ]
    assert await wallet_of(buyer) == (1100, 0)
    assert await wallet_of(seller) == (8455, 0)


async def test_a_hold_is_captured_in_part_then_the_rest_released(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 1000))).hold
    no_fee = await accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 300))
    assert len(no_fee.posting.entries) == 2
    all_fee = await accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 100, fee_minor=100))
    assert [entry.account for entry in all_fee.posting.entries] == [
        resources_pb2.LEDGER_ACCOUNT_HELD,
        resources_pb2.LEDGER_ACCOUNT_PLATFORM_FEES,
    ]
    assert (all_fee.hold.captured, all_fee.hold.remaining) == (usd(400), usd(600))
    rest = await accounts.ReleaseFunds(release_request(hold.id))
    assert rest.posting.kind == resources_pb2.POSTING_KIND_RELEASE
    assert entries(rest.posting) == [
        (resources_pb2.LEDGER_ACCOUNT_HELD, -600, buyer.user.id),
        (resources_pb2.LEDGER_ACCOUNT_AVAILABLE, 600, buyer.user.id),
    ]
    assert (rest.hold.captured, rest.hold.released, rest.hold.remaining) == (usd(400), usd(600), usd(0))
    assert rest.hold.status == resources_pb2.HOLD_STATUS_CLOSED
    assert await wallet_of(buyer) == (600, 0)
    assert await wallet_of(seller) == (300, 0)


async def test_a_capture_or_release_over_what_is_left_is_refused(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 400))).hold
    await accounts.ReleaseFunds(release_request(hold.id, 150))
    for call in (
        accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 251)),
        accounts.ReleaseFunds(release_request(hold.id, 251)),
    ):
        error = await rpc_error(call)
        assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert error_reason(error) == "AMOUNT_EXCEEDS_HOLD"
        assert error_metadata(error) == {"remaining_minor": "250"}
    assert await wallet_of(buyer) == (750, 250)


async def test_a_replayed_capture_or_release_does_nothing_twice(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 1000))).hold
    capture = capture_request(hold.id, seller.user.id, 300, fee_minor=30, request_id="pay-1")
    first = await accounts.CaptureFunds(capture)
    replays = await asyncio.gather(*(accounts.CaptureFunds(capture) for _ in range(5)))
    assert {reply.posting.id for reply in replays} == {first.posting.id}
    release = release_request(hold.id, 200, request_id="back-1")
    released = await accounts.ReleaseFunds(release)
    assert (await accounts.ReleaseFunds(release)).posting == released.posting
    # A replay answers with the first response: the hold as it was then.
    again = await accounts.CaptureFunds(capture)
    assert again == first and again.hold.remaining == usd(700)
    assert await wallet_of(seller) == (270, 0)
    assert await wallet_of(buyer) == (200, 500)


async def test_a_hold_and_a_capture_retried_after_their_keys_are_pruned_find_their_postings(
    accounts, funded, sign_up, wallet_of, sql
):
    # The postings keep the keys: a retry that outlives the kit's keys (a week) moves no money again.
    buyer, seller = await funded(1000), await sign_up()
    hold = hold_request(buyer.user.id, 400)
    held = await accounts.HoldFunds(hold)
    capture = capture_request(held.hold.id, seller.user.id, 100)
    captured = await accounts.CaptureFunds(capture)
    await sql.execute("DELETE FROM idempotency_keys WHERE key = ANY($1)", [hold.request_id, capture.request_id])
    again = await accounts.HoldFunds(hold)
    assert (again.hold.id, again.posting) == (held.hold.id, held.posting)
    assert (await accounts.CaptureFunds(capture)).posting == captured.posting
    assert await wallet_of(buyer) == (600, 300)
    assert await wallet_of(seller) == (100, 0)


async def test_concurrent_repeats_of_a_capture_all_get_the_first_capture(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 1000))).hold
    capture = capture_request(hold.id, seller.user.id, 300, fee_minor=30)
    replies = await asyncio.gather(*(accounts.CaptureFunds(capture) for _ in range(10)))
    assert len({reply.SerializeToString(deterministic=True) for reply in replies}) == 1
    assert await wallet_of(seller) == (270, 0)
    assert await wallet_of(buyer) == (0, 700)


async def test_the_answers_of_a_hold_and_its_capture_are_what_the_ledger_stored(accounts, funded, sign_up, sql):
    # Both are made before the write that stores them: their ids and times must be the database's.
    buyer, seller = await funded(1000), await sign_up()
    held = await accounts.HoldFunds(hold_request(buyer.user.id, 400))
    captured = await accounts.CaptureFunds(capture_request(held.hold.id, seller.user.id, 100, fee_minor=5))
    for reply in (held, captured):
        stored = await sql.fetch(
            "SELECT id, amount_minor, created_at FROM ledger_entries WHERE posting_id = $1 ORDER BY id",
            uuid.UUID(reply.posting.id),
        )
        answered = [
            (uuid.UUID(e.id), e.amount.amount_minor, e.create_time.ToDatetime(UTC)) for e in reply.posting.entries
        ]
        assert [tuple(row) for row in stored] == sorted(answered)
        assert reply.posting.create_time == reply.posting.entries[0].create_time
    hold = await sql.fetchrow("SELECT created_at, updated_at FROM holds WHERE id = $1", uuid.UUID(held.hold.id))
    assert held.hold.create_time.ToDatetime(UTC) == held.hold.update_time.ToDatetime(UTC) == hold["created_at"]
    assert (
        captured.hold.update_time.ToDatetime(UTC) == hold["updated_at"] == captured.posting.create_time.ToDatetime(UTC)
    )
    assert (captured.hold.remaining, captured.hold.captured) == (usd(300), usd(100))


async def test_a_key_used_before_is_refused_for_a_hold_that_does_not_exist(accounts, funded, sign_up):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    await accounts.CaptureFunds(capture_request(hold.id, seller.user.id, request_id="pay-once"))
    error = await rpc_error(
        accounts.CaptureFunds(capture_request(str(uuid.uuid4()), seller.user.id, request_id="pay-once"))
    )
    assert (error.code(), error_reason(error)) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")


async def test_a_capture_whose_cached_account_id_is_wrong_looks_its_accounts_up_again(
    accounts, accounts_db, funded, sign_up, wallet_of
):
    # Its accounts are locked by the statement that writes it: the entries' foreign key finds the wrong id.
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    buyer_id, seller_id = uuid.UUID(buyer.user.id), uuid.UUID(seller.user.id)
    ledger = Ledger(accounts_db)
    await ledger.find_accounts(AccountsMissing("USD", capture_legs(buyer_id, seller_id, 100, 0), 0))
    ledger._ids[(seller_id, LedgerAccountKind.AVAILABLE, "USD", 0)] = uuid.uuid4()
    once = Once(uuid.uuid4().hex, "tests", "hash", lambda result: pb.CaptureFundsResponse(**escrow_to_proto(*result)))
    captured, _ = await ledger_service.capture_funds(ledger, once, uuid.UUID(hold.id), seller_id, None, None)
    assert captured.amounts.captured_minor == 100
    assert await wallet_of(seller) == (100, 0)


async def test_a_key_used_for_one_hold_is_refused_for_another(accounts, funded, sign_up, wallet_of):
    buyer, seller = await funded(1000), await sign_up()
    first, second = [(await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold for _ in range(2)]
    await accounts.CaptureFunds(capture_request(first.id, seller.user.id, request_id="capture"))
    error = await rpc_error(accounts.CaptureFunds(capture_request(second.id, seller.user.id, request_id="capture")))
    assert error.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "IDEMPOTENCY_KEY_REUSED"
    assert await wallet_of(seller) == (100, 0)


async def test_20_concurrent_captures_of_one_on_a_hold_of_ten_let_exactly_ten_through(
    accounts, funded, sign_up, wallet_of
):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 10))).hold
    await accounts.HoldFunds(hold_request(buyer.user.id, 500))  # another hold the captures must not reach
    results = await asyncio.gather(
        *(accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 1)) for _ in range(20)),
        return_exceptions=True,
    )
    paid = [result for result in results if isinstance(result, pb.CaptureFundsResponse)]
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert (len(paid), len(refused)) == (10, 10)
    assert {error_reason(error) for error in refused} == {"HOLD_CLOSED"}
    assert await wallet_of(seller) == (10, 0)
    assert await wallet_of(buyer) == (490, 500)


async def test_a_capture_that_finds_its_hold_taken_from_since_it_read_it_captures_what_is_left(
    accounts, funded, sign_up, sql
):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    hold_id = uuid.UUID(hold.id)
    held, available = await held_and_available(sql, buyer.user.id, buyer.user.id)
    async with sql.transaction():
        await sql.execute("SELECT FROM holds WHERE id = $1 FOR UPDATE", hold_id)
        capture = asyncio.ensure_future(accounts.CaptureFunds(capture_request(hold.id, seller.user.id)))
        await waiting_for_a_lock(sql)  # it read 100 left, and waits to write
        await write_posting(sql, [(held, -30), (available, 30)], kind="release", hold_id=hold_id)
    reply = await capture
    assert (reply.hold.remaining, reply.hold.captured, reply.hold.released) == (usd(0), usd(70), usd(30))
    assert await hold_row(sql, hold_id) == (100, 0, 70, 30, "closed")


async def waiting_for_a_lock(sql, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if await sql.fetchval(waiting):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no statement waits for a lock")


async def test_captures_and_releases_racing_on_one_hold_never_take_more_than_it_holds(
    accounts, funded, sign_up, wallet_of
):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    calls = [accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 7)) for _ in range(10)]
    calls += [accounts.ReleaseFunds(release_request(hold.id, 9)) for _ in range(10)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    captured = 7 * sum(isinstance(result, pb.CaptureFundsResponse) for result in results)
    released = 9 * sum(isinstance(result, pb.ReleaseFundsResponse) for result in results)
    refused = [result for result in results if isinstance(result, grpc.aio.AioRpcError)]
    assert captured + released <= 100
    assert {error_reason(error) for error in refused} <= {"AMOUNT_EXCEEDS_HOLD", "HOLD_CLOSED"}
    assert await wallet_of(buyer) == (900 + released, 100 - captured - released)
    assert await wallet_of(seller) == (captured, 0)


async def test_holds_captures_and_releases_across_many_wallets_keep_the_books(accounts, funded, wallet_of):
    people = [await funded(1000) for _ in range(6)]
    captured = []

    async def trade(index: int) -> None:
        buyer, seller = people[index % 6], people[(index + 1) % 6]
        try:
            hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 70))).hold
        except grpc.aio.AioRpcError as error:
            assert error_reason(error) == "INSUFFICIENT_FUNDS"
            return
        if index % 3:
            captured.append(await accounts.CaptureFunds(capture_request(hold.id, seller.user.id, fee_minor=7)))
        else:
            await accounts.ReleaseFunds(release_request(hold.id))

    await asyncio.gather(*(trade(index) for index in range(120)))
    balances = [await wallet_of(person) for person in people]
    assert all(held == 0 for _, held in balances)
    assert captured
    assert sum(available for available, _ in balances) == 6000 - 7 * len(captured)


async def test_a_capture_or_release_names_every_bad_field(accounts, funded, sign_up):
    buyer, seller = await funded(1000), await sign_up()
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    request = pb.CaptureFundsRequest(request_id="k", hold_id="nope", seller_id="nobody", amount=usd(0, "usd"))
    error = await rpc_error(accounts.CaptureFunds(request))
    assert set(field_violations(error)) == {"hold_id", "seller_id", "amount.currency", "amount.amount_minor"}
    missing = await rpc_error(accounts.ReleaseFunds(pb.ReleaseFundsRequest()))
    assert set(field_violations(missing)) == {"request_id", "hold_id"}
    too_big = await rpc_error(accounts.CaptureFunds(capture_request(hold.id, seller.user.id, 50, fee_minor=51)))
    assert set(field_violations(too_big)) == {"fee.amount_minor"}
    request = capture_request(hold.id, seller.user.id, 50)
    request.fee.CopyFrom(usd(10, "EUR"))
    assert set(field_violations(await rpc_error(accounts.CaptureFunds(request)))) == {"fee.currency"}
    request = release_request(hold.id)
    request.amount.CopyFrom(usd(10, "EUR"))
    assert set(field_violations(await rpc_error(accounts.ReleaseFunds(request)))) == {"amount.currency"}


async def test_an_unknown_hold_or_seller_is_not_found(accounts, funded):
    buyer = await funded(1000)
    error = await rpc_error(accounts.ReleaseFunds(release_request(str(uuid.uuid4()))))
    assert (error.code(), error_reason(error)) == (grpc.StatusCode.NOT_FOUND, "HOLD_NOT_FOUND")
    hold = (await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold
    error = await rpc_error(accounts.CaptureFunds(capture_request(hold.id, str(uuid.uuid4()))))
    assert error.code() is grpc.StatusCode.NOT_FOUND


# What the database does and refuses, whatever the code above it does ------------------------------


async def held_and_available(sql, holder: str, payee: str) -> list[uuid.UUID]:
    rows = await sql.fetch(
        "SELECT id FROM ledger_accounts WHERE (user_id, kind) IN (($1, 'held'), ($2, 'available')) ORDER BY kind DESC",
        uuid.UUID(holder),
        uuid.UUID(payee),
    )
    return [row["id"] for row in rows]


async def hold_row(sql, hold_id: uuid.UUID) -> tuple:
    row = await sql.fetchrow(
        "SELECT amount_minor, remaining_minor, captured_minor, released_minor, status::text FROM holds WHERE id = $1",
        hold_id,
    )
    return tuple(row)


async def test_a_posting_of_a_hold_is_applied_to_it_by_the_database(accounts, funded, sql):
    buyer, seller = await funded(1000), await funded(1)
    hold_id = uuid.UUID((await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold.id)
    held, available = await held_and_available(sql, buyer.user.id, seller.user.id)
    await write_posting(sql, [(held, -40), (available, 40)], kind="capture", hold_id=hold_id)
    assert await hold_row(sql, hold_id) == (100, 60, 40, 0, "open")
    await write_posting(sql, [(held, -60), (available, 60)], kind="capture", hold_id=hold_id)
    assert await hold_row(sql, hold_id) == (100, 0, 100, 0, "closed")


async def test_a_posting_that_takes_more_than_a_hold_has_left_is_refused(accounts, funded, sql):
    buyer, seller = await funded(1000), await funded(1)
    await accounts.HoldFunds(hold_request(buyer.user.id, 500))  # held money, but another hold's
    hold_id = uuid.UUID((await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold.id)
    held, available = await held_and_available(sql, buyer.user.id, seller.user.id)
    with pytest.raises(asyncpg.CheckViolationError) as err:
        await write_posting(sql, [(held, -101), (available, 101)], kind="capture", hold_id=hold_id)
    assert err.value.constraint_name == "ck_holds_remaining_not_negative"


async def test_a_posting_of_a_hold_moves_only_its_owners_held_money(accounts, funded, sql):
    buyer, stranger = await funded(1000), await funded(1000)
    hold_id = uuid.UUID((await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold.id)
    await accounts.HoldFunds(hold_request(stranger.user.id, 100))
    strangers_held, strangers_available = await held_and_available(sql, stranger.user.id, stranger.user.id)
    with pytest.raises(asyncpg.CheckViolationError, match="its owner's held money only"):
        await write_posting(sql, [(strangers_held, -50), (strangers_available, 50)], kind="capture", hold_id=hold_id)


async def test_a_holds_amounts_change_only_through_its_postings(accounts, funded, sql):
    buyer = await funded(1000)
    hold_id = uuid.UUID((await accounts.HoldFunds(hold_request(buyer.user.id, 100))).hold.id)
    with pytest.raises(asyncpg.CheckViolationError, match="only through its postings"):
        await sql.execute("UPDATE holds SET remaining_minor = 60, released_minor = 40 WHERE id = $1", hold_id)
    with pytest.raises(asyncpg.CheckViolationError, match="cannot change whose"):
        await sql.execute("UPDATE holds SET user_id = gen_random_uuid() WHERE id = $1", hold_id)
    with pytest.raises(asyncpg.CheckViolationError, match="must start empty"):
        await sql.execute(
            "INSERT INTO holds (id, user_id, currency, amount_minor, remaining_minor, request_id)"
            " VALUES (gen_random_uuid(), $1, 'USD', 100, 100, 'hand')",
            uuid.UUID(buyer.user.id),
        )
