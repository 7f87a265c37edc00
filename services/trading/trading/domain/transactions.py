"""Rules of transactions: their statuses and moves, the platform's fee, and who sees and moves what."""

import enum
from datetime import datetime
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, NotFound, PermissionDenied
from servicekit.money import Money
from trading.domain.moves import moved

BPS = 10_000
# How long a refund's reason, shown to the buyer, may be.
MAX_REASON = 1000


class TransactionStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    COMPLETED = "completed"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Step(enum.StrEnum):
    """What moves a transaction: the saga pays it (funds held), completes it (the seller paid), or ends it
    unpaid (cancel: undone before payment; fail: a step refused); the seller or an admin refunds it."""

    PAY = "pay"
    COMPLETE = "complete"
    REFUND = "refund"
    CANCEL = "cancel"
    FAIL = "fail"


T = TransactionStatus
# Each step: the statuses it starts from, and the one it leads to. The last four are final.
STEPS: dict[Step, tuple[frozenset[TransactionStatus], TransactionStatus]] = {
    Step.PAY: (frozenset({T.PENDING}), T.PAID),
    Step.COMPLETE: (frozenset({T.PAID}), T.COMPLETED),
    Step.REFUND: (frozenset({T.PAID}), T.REFUNDED),
    Step.CANCEL: (frozenset({T.PENDING}), T.CANCELLED),
    Step.FAIL: (frozenset({T.PENDING, T.PAID}), T.FAILED),
}
FINAL = frozenset({T.COMPLETED, T.REFUNDED, T.CANCELLED, T.FAILED})
# The ledger keeps these holds: a completed purchase captures its hold, the others release theirs.
CAPTURED = frozenset({T.COMPLETED})


class TransactionNotFound(NotFound):
    reason = "TRANSACTION_NOT_FOUND"


class NotTransactionParty(PermissionDenied):
    reason = "NOT_TRANSACTION_PARTY"


class GameItemCompletesItself(FailedPrecondition):
    reason = "GAME_ITEM_COMPLETES_ITSELF"


class PurchaseFailed(FailedPrecondition):
    """A purchase a step refused; `reason` is that step's (INSUFFICIENT_FUNDS, ITEM_NOT_TRANSFERABLE)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PurchaseUndone(FailedPrecondition):
    reason = "PURCHASE_CANCELLED"


INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
ITEM_NOT_TRANSFERABLE = "ITEM_NOT_TRANSFERABLE"


def step(current: TransactionStatus, how: Step) -> TransactionStatus:
    """The status the step leads to from `current`; FAILED_PRECONDITION when it does not start there."""
    return moved(STEPS, current, how, "transaction")


def platform_fee(amount: Money, fee_bps: int) -> Money:
    """The fee on a sale: `fee_bps` basis points of the amount in minor units, rounded half up to a whole
    minor unit (so 5% of 10 cents is 1 cent, of 9 cents 0). The seller receives the rest."""
    return Money(amount.currency, (amount.amount_minor * fee_bps + BPS // 2) // BPS)


def awaits_confirmation(
    status: TransactionStatus, item_id: UUID | None, auto_complete_at: datetime | None, now: datetime
) -> bool:
    """Whether a paid physical purchase is past the time it completes by itself."""
    return status is TransactionStatus.PAID and item_id is None and auto_complete_at <= now


def visible_to(buyer_id: UUID, seller_id: UUID, user_id: UUID, is_admin: bool) -> bool:
    return user_id in (buyer_id, seller_id) or is_admin


def check_confirmer(buyer_id: UUID, user_id: UUID) -> None:
    if user_id != buyer_id:
        raise NotTransactionParty("only the buyer confirms that the item arrived")


def check_reason(reason: str) -> list[FieldViolation]:
    return [FieldViolation("reason", f"must be at most {MAX_REASON} characters")] if len(reason) > MAX_REASON else []


def check_refunder(seller_id: UUID, user_id: UUID, is_admin: bool) -> None:
    if user_id != seller_id and not is_admin:
        raise NotTransactionParty("only the seller or an admin refunds a purchase")
