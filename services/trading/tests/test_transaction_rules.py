"""The rules of transactions, without I/O: the steps from each status, the fee's rounding, who may answer."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.money import Money
from trading.domain.moves import IllegalTransition
from trading.domain.transactions import (
    NotTransactionParty,
    Step,
    TransactionStatus,
    awaits_confirmation,
    check_confirmer,
    check_reason,
    check_refunder,
    platform_fee,
    step,
    visible_to,
)

S = TransactionStatus
LEGAL = {
    (S.PENDING, Step.PAY): S.PAID,
    (S.PENDING, Step.CANCEL): S.CANCELLED,
    (S.PENDING, Step.FAIL): S.FAILED,
    (S.PAID, Step.COMPLETE): S.COMPLETED,
    (S.PAID, Step.REFUND): S.REFUNDED,
    (S.PAID, Step.FAIL): S.FAILED,
}


@pytest.mark.parametrize(("status", "how"), [(status, how) for status in S for how in Step])
def test_every_step_from_every_status_is_legal_only_as_the_table_says(status, how):
    if (status, how) in LEGAL:
        assert step(status, how) is LEGAL[status, how]
    else:
        with pytest.raises(IllegalTransition) as refused:
            step(status, how)
        assert refused.value.metadata == {"status": status.value, "move": how.value}


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [(1999, 500, 100), (1990, 500, 100), (1989, 500, 99), (10, 500, 1), (9, 500, 0), (1, 10_000, 1), (12345, 0, 0)],
)
def test_the_fee_is_rounded_half_up_to_a_whole_minor_unit(amount, bps, fee):
    assert platform_fee(Money("EUR", amount), bps) == Money("EUR", fee)


def test_only_the_buyer_confirms_and_only_the_seller_or_an_admin_refunds():
    buyer, seller, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    check_confirmer(buyer, buyer)
    for who in (seller, stranger):
        with pytest.raises(NotTransactionParty):
            check_confirmer(buyer, who)
    check_refunder(seller, seller, is_admin=False)
    check_refunder(seller, stranger, is_admin=True)
    with pytest.raises(NotTransactionParty):
        check_refunder(seller, buyer, is_admin=False)
    assert visible_to(buyer, seller, stranger, is_admin=True)
    assert not visible_to(buyer, seller, stranger, is_admin=False)


def test_a_refund_reason_has_a_limit_and_only_a_paid_physical_purchase_completes_by_itself():
    assert check_reason("x" * 1000) == [] and [v.field for v in check_reason("x" * 1001)] == ["reason"]
    now = datetime.now(UTC)
    past, item = now - timedelta(seconds=1), uuid.uuid4()
    assert awaits_confirmation(S.PAID, None, past, now)
    assert not awaits_confirmation(S.PAID, None, now + timedelta(days=1), now)
    assert not awaits_confirmation(S.PAID, item, past, now)
    assert not awaits_confirmation(S.COMPLETED, None, past, now)
