"""Wallets on the double-entry ledger: the accounts a posting moves money between, and when it may."""

import zlib
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from servicekit.money import Money


class LedgerAccountKind(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    PLATFORM_FEES = "platform_fees"
    EXTERNAL = "external"


class PostingKind(StrEnum):
    DEPOSIT = "deposit"
    HOLD = "hold"
    CAPTURE = "capture"
    RELEASE = "release"


# The kinds a user owns (one of each per user and currency: their wallet); the others are the platform's.
USER_ACCOUNTS = (LedgerAccountKind.AVAILABLE, LedgerAccountKind.HELD)
# The platform's accounts are split in shards, so that concurrent postings do not all queue on one row lock.
PLATFORM_SHARDS = 16


class HoldStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InsufficientFunds(FailedPrecondition):
    reason = "INSUFFICIENT_FUNDS"


class HoldNotFound(NotFound):
    reason = "HOLD_NOT_FOUND"


class HoldClosed(FailedPrecondition):
    reason = "HOLD_CLOSED"

    def __init__(self) -> None:
        super().__init__("nothing is left of the hold: it was captured or released in full")


class AmountExceedsHold(FailedPrecondition):
    reason = "AMOUNT_EXCEEDS_HOLD"


class DepositsAdminOnly(PermissionDenied):
    reason = "DEPOSITS_ADMIN_ONLY"

    def __init__(self) -> None:
        super().__init__("deposits are a development top-up: outside development only an admin may make one")


@dataclass(frozen=True)
class Leg:
    """One line of a posting being planned: which account of whom changes by how much."""

    account: LedgerAccountKind
    user_id: UUID | None
    amount_minor: int


def deposit_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.EXTERNAL, None, -amount_minor),
        Leg(LedgerAccountKind.AVAILABLE, user_id, amount_minor),
    ]


def hold_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.AVAILABLE, user_id, -amount_minor),
        Leg(LedgerAccountKind.HELD, user_id, amount_minor),
    ]


def release_legs(user_id: UUID, amount_minor: int) -> list[Leg]:
    return [
        Leg(LedgerAccountKind.HELD, user_id, -amount_minor),
        Leg(LedgerAccountKind.AVAILABLE, user_id, amount_minor),
    ]


def capture_legs(buyer_id: UUID, seller_id: UUID, amount_minor: int, fee_minor: int) -> list[Leg]:
    """The buyer's held money to the seller's available balance, less the fee, which goes to the platform."""
    legs = [Leg(LedgerAccountKind.HELD, buyer_id, -amount_minor)]
    if amount_minor > fee_minor:
        legs.append(Leg(LedgerAccountKind.AVAILABLE, seller_id, amount_minor - fee_minor))
    if fee_minor:
        legs.append(Leg(LedgerAccountKind.PLATFORM_FEES, None, fee_minor))
    return legs


def check_fee(amount_minor: int, fee: Money | None, currency: str) -> int:
    """The fee of a capture in minor units: none, or from zero up to the amount paid, in the hold's currency."""
    if fee is None:
        return 0
    violations = []
    if fee.currency and fee.currency != currency:
        violations.append(FieldViolation("fee.currency", f"must be the hold's currency, {currency}"))
    if not 0 <= fee.amount_minor <= amount_minor:
        violations.append(FieldViolation("fee.amount_minor", "must be from zero up to the amount paid"))
    if violations:
        raise InvalidArgument(violations)
    return fee.amount_minor


@dataclass(frozen=True)
class HoldAmounts:
    """How a hold's amount splits: what is left, what was captured and what was released."""

    remaining_minor: int
    captured_minor: int = 0
    released_minor: int = 0

    @property
    def status(self) -> HoldStatus:
        return HoldStatus.OPEN if self.remaining_minor > 0 else HoldStatus.CLOSED


def settle(amounts: HoldAmounts, kind: PostingKind, requested: Money | None, currency: str) -> tuple[int, HoldAmounts]:
    """What a capture or release of a hold moves (what was asked, or else all that is left), and the
    hold's amounts after it. Never more than is left."""
    if requested is not None and requested.currency != currency:
        raise InvalidArgument.field("amount.currency", f"must be the hold's currency, {currency}")
    left = amounts.remaining_minor
    if left == 0:
        raise HoldClosed()
    moved = left if requested is None else requested.amount_minor
    if moved > left:
        raise AmountExceedsHold(f"{moved} asked, {left} left of the hold", metadata={"remaining_minor": str(left)})
    captured = moved if kind is PostingKind.CAPTURE else 0
    return moved, HoldAmounts(
        left - moved, amounts.captured_minor + captured, amounts.released_minor + moved - captured
    )


def check_funds(legs: list[Leg], balances: dict[tuple[LedgerAccountKind, UUID | None], int]) -> None:
    """Refuses a posting that would take a user's account below zero (the database refuses it too)."""
    assert sum(leg.amount_minor for leg in legs) == 0, "a posting must balance"
    for leg in legs:
        if leg.amount_minor >= 0 or leg.account not in USER_ACCOUNTS:
            continue
        balance = balances.get((leg.account, leg.user_id), 0)
        if balance + leg.amount_minor < 0:
            raise InsufficientFunds(
                f"{balance} available, {-leg.amount_minor} needed", metadata={"available": str(balance)}
            )


def platform_shard(request_id: str) -> int:
    """The shard of a platform account a posting uses; any one does, the same one for a retry is tidy."""
    return zlib.crc32(request_id.encode()) % PLATFORM_SHARDS


def deposit_allowed(*, development: bool, is_admin: bool) -> None:
    if not development and not is_admin:
        raise DepositsAdminOnly()
