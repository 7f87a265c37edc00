"""Rules of offers: who may answer one, the moves from pending, expiry read at once, what an offer may say,
and which pending offers a change of their listing ends."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, NotFound, PermissionDenied
from servicekit.money import Money
from servicekit.runtime_settings.declarations import seconds_text

MAX_MESSAGE = 2000


class OfferStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COUNTERED = "countered"
    EXPIRED = "expired"
    # Accepted, but its purchase did not go through: the listing takes offers again.
    VOIDED = "voided"


class OfferMove(enum.StrEnum):
    """What ends a pending offer: its recipient accepts, rejects or counters it, its proposer cancels
    it, or its time (or its listing's change) runs it out."""

    ACCEPT = "accept"
    REJECT = "reject"
    COUNTER = "counter"
    CANCEL = "cancel"
    EXPIRE = "expire"


# Each move from pending and the status it leads to; every other status is final.
OFFER_MOVES = {
    OfferMove.ACCEPT: OfferStatus.ACCEPTED,
    OfferMove.REJECT: OfferStatus.REJECTED,
    OfferMove.COUNTER: OfferStatus.COUNTERED,
    OfferMove.CANCEL: OfferStatus.CANCELLED,
    OfferMove.EXPIRE: OfferStatus.EXPIRED,
}
# Who may make each move the caller asks for: the recipient answers, the proposer withdraws.
BY_RECIPIENT = frozenset({OfferMove.ACCEPT, OfferMove.REJECT, OfferMove.COUNTER})


class OfferNotFound(NotFound):
    reason = "OFFER_NOT_FOUND"


class OffersDisabled(FailedPrecondition):
    reason = "OFFERS_DISABLED"


class ListingNotActive(FailedPrecondition):
    reason = "LISTING_NOT_ACTIVE"


class OfferNotPending(FailedPrecondition):
    reason = "OFFER_NOT_PENDING"


class NotOfferRecipient(PermissionDenied):
    reason = "NOT_OFFER_RECIPIENT"


class NotOfferProposer(PermissionDenied):
    reason = "NOT_OFFER_PROPOSER"


def status_at(status: OfferStatus, expire_at: datetime, now: datetime) -> OfferStatus:
    """The status as read at `now`: a pending offer past its expiry is expired, whether or not the sweeper has been."""
    if status is OfferStatus.PENDING and expire_at <= now:
        return OfferStatus.EXPIRED
    return status


def move(status: OfferStatus, how: OfferMove) -> OfferStatus:
    """The status the move leads to; FAILED_PRECONDITION unless the offer is (still) pending."""
    if status is not OfferStatus.PENDING:
        raise OfferNotPending(
            f"a {status.value} offer cannot {how.value}: only a pending offer can",
            metadata={"status": status.value, "move": how.value},
        )
    return OFFER_MOVES[how]


def check_party(how: OfferMove, proposer_id: UUID, buyer_id: UUID, seller_id: UUID, user_id: UUID) -> None:
    """The recipient (the party who did not propose) answers an offer; its proposer alone cancels it."""
    if how in BY_RECIPIENT:
        recipient = seller_id if proposer_id == buyer_id else buyer_id
        if user_id != recipient:
            raise NotOfferRecipient(f"only the offer's recipient may {how.value} it")
    elif user_id != proposer_id:
        raise NotOfferProposer(f"only who made the offer may {how.value} it")


def visible_to(buyer_id: UUID, seller_id: UUID, user_id: UUID) -> bool:
    return user_id in (buyer_id, seller_id)


@dataclass(frozen=True)
class OfferTerms:
    """What a proposer writes: the amount, a note and how long the offer stays open (0: the default)."""

    amount: Money | None
    message: str = ""
    expires_in: int = 0


def check_terms(
    terms: OfferTerms, price: Money, default_lifetime: timedelta, max_lifetime: timedelta
) -> tuple[timedelta, list[FieldViolation]]:
    """The offer's lifetime, and every problem of its terms against the listing's price and the settings."""
    violations = []
    amount = terms.amount
    if amount is not None and amount.currency != price.currency:
        violations.append(FieldViolation("amount.currency", f"must be the listing's currency, {price.currency}"))
    elif amount is not None and amount.amount_minor >= price.amount_minor:
        violations.append(
            FieldViolation("amount.amount_minor", f"must be below the listing's price ({price.amount_minor})")
        )
    if len(terms.message) > MAX_MESSAGE:
        violations.append(FieldViolation("message", f"must be at most {MAX_MESSAGE} characters"))
    lifetime = timedelta(seconds=terms.expires_in) if terms.expires_in else default_lifetime
    if terms.expires_in < 0:
        violations.append(FieldViolation("expires_in", "must not be negative (0 takes the default)"))
    elif lifetime > max_lifetime:
        violations.append(FieldViolation("expires_in", f"must be at most {seconds_text(max_lifetime)}"))
    return lifetime, violations


def ended_by_listing_change(changed: list[str], before: Money, after: Money, amount: Money) -> bool:
    """Whether a change of its listing ends a pending offer: a new currency, or a change of what is sold
    (condition, attributes), ends every one; a new price ends those at or above it."""
    if "condition" in changed or "attributes" in changed or before.currency != after.currency:
        return True
    return "price" in changed and amount.amount_minor >= after.amount_minor
