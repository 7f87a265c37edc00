"""Ledger entries partitioned by month: each lands in its month's partition, months are made ahead,
balances move the same across partitions, and the rules the partitioning leans on hold."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from accounts.models import LEDGER_ENTRIES

from .accounts_support import accounts_of, write_posting

pytestmark = pytest.mark.usefixtures("ledger_invariants")


def month(offset: int) -> datetime:
    """The start of this month (UTC, as partitions count months) moved forward by offset months."""
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(offset):
        start = (start + timedelta(days=32)).replace(day=1)
    return start


def month_name(offset: int) -> str:
    return f"{LEDGER_ENTRIES.name}_p{month(offset):%Y%m%d}"


async def partitions_of_entries(sql: asyncpg.Connection, account_id: uuid.UUID) -> list[str]:
    rows = await sql.fetch(
        "SELECT tableoid::regclass::text AS part FROM ledger_entries WHERE account_id = $1", account_id
    )
    return [row["part"] for row in rows]


async def test_this_month_and_the_next_are_made_ahead(sql):
    names = await sql.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'ledger_entries'::regclass ORDER BY c.relname"
    )
    expected = [month_name(offset) for offset in range(LEDGER_ENTRIES.ahead + 1)]
    assert [row["relname"] for row in names][-len(expected) :] == expected


async def test_a_deposits_entries_land_in_this_months_partition(funded, sql):
    me = await funded(1000)
    mine = await accounts_of(sql, me.user.id)
    assert await partitions_of_entries(sql, mine["available"]) == [month_name(0)]


async def test_a_posting_of_next_month_lands_in_its_partition_and_moves_the_balances(funded, wallet_of, sql):
    me, other = await funded(1000), await funded(1)
    mine, theirs = await accounts_of(sql, me.user.id), await accounts_of(sql, other.user.id)
    next_month = month(1)
    await write_posting(sql, [(mine["available"], -400), (theirs["available"], 400)], at=next_month)
    assert await partitions_of_entries(sql, theirs["available"]) == [
        month_name(0),
        month_name(1),
    ]
    assert (await wallet_of(me), await wallet_of(other)) == ((600, 0), (401, 0))


async def test_a_balanced_pair_added_later_to_an_old_posting_is_refused(funded, sql):
    me, other = await funded(1000), await funded(1)
    mine, theirs = await accounts_of(sql, me.user.id), await accounts_of(sql, other.user.id)
    posting_id = await sql.fetchval(
        "SELECT posting_id FROM ledger_entries WHERE account_id = $1 LIMIT 1", mine["available"]
    )
    with pytest.raises(asyncpg.CheckViolationError, match="not written with its posting"):
        async with sql.transaction():
            for account_id, amount in ((mine["available"], -5), (theirs["available"], 5)):
                await sql.execute(
                    "INSERT INTO ledger_entries (id, posting_id, account_id, currency, amount_minor)"
                    " VALUES (gen_random_uuid(), $1, $2, 'USD', $3)",
                    posting_id,
                    account_id,
                    amount,
                )


async def test_a_partition_refuses_to_be_written_to_on_its_own(funded, sql):
    me, other = await funded(1000), await funded(1)
    mine, theirs = await accounts_of(sql, me.user.id), await accounts_of(sql, other.user.id)
    partition = month_name(0)
    for statement in (
        f"DELETE FROM {partition} WHERE account_id = $1",
        f"UPDATE {partition} SET amount_minor = 1 WHERE account_id = $1",
    ):
        with pytest.raises(asyncpg.RestrictViolationError, match="through ledger_entries"):
            await sql.execute(statement, mine["available"])
    with pytest.raises(asyncpg.RestrictViolationError, match="through ledger_entries"):
        await sql.execute(f"TRUNCATE {partition}")
    with pytest.raises(asyncpg.RestrictViolationError, match="through ledger_entries"):
        await write_posting(sql, [(mine["available"], -5), (theirs["available"], 5)], into=partition)


async def test_hand_written_postings_of_this_month_still_balance_and_apply(funded, wallet_of, sql):
    me, other = await funded(1000), await funded(1)
    mine, theirs = await accounts_of(sql, me.user.id), await accounts_of(sql, other.user.id)
    await write_posting(sql, [(mine["available"], -250), (theirs["available"], 250)])
    assert (await wallet_of(me), await wallet_of(other)) == ((750, 0), (251, 0))
