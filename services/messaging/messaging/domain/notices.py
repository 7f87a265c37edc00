"""What trading's events post in conversations: an offer in its proposer's name, or a system notice; each with
the origin that makes it be posted once however often its event comes."""

import enum
from dataclasses import dataclass
from uuid import UUID

from servicekit.money import Money

# ISO 4217 currencies without minor units; every other amount is shown with two decimals.
WHOLE_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "PYG", "UGX", "XAF", "XOF"})


class OfferOutcome(enum.StrEnum):
    """How an offer stopped being pending, as trading's OfferChanged and OfferAccepted say."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COUNTERED = "countered"
    EXPIRED = "expired"
    VOIDED = "voided"


class PurchaseStep(enum.StrEnum):
    """A transaction's status, as trading's TransactionChanged says."""

    PENDING = "pending"
    PAID = "paid"
    COMPLETED = "completed"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"
    FAILED = "failed"


PURCHASE_TEXTS = {
    PurchaseStep.PENDING: "Purchase for {amount} started.",
    PurchaseStep.PAID: "Purchase for {amount} paid: the money is held until it completes.",
    PurchaseStep.COMPLETED: "Purchase for {amount} completed.",
    PurchaseStep.REFUNDED: "Purchase for {amount} refunded.",
    PurchaseStep.CANCELLED: "Purchase for {amount} cancelled.",
    PurchaseStep.FAILED: "Purchase for {amount} failed.",
}


@dataclass(frozen=True)
class Notice:
    """A message an event posts: its sender (None: a system message), its text, the offer it makes, and its
    origin."""

    origin: str
    sender_id: UUID | None
    text: str
    offer_id: UUID | None = None


def amount_text(amount: Money) -> str:
    if amount.currency in WHOLE_CURRENCIES:
        return f"{amount.amount_minor} {amount.currency}"
    whole, cents = divmod(amount.amount_minor, 100)
    return f"{whole}.{cents:02d} {amount.currency}"


def offer_made(offer_id: UUID, proposer_id: UUID, amount: Money, countering: bool) -> Notice:
    verb = "Countered with" if countering else "Offered"
    return Notice(f"offer.made:{offer_id}", proposer_id, f"{verb} {amount_text(amount)}.", offer_id)


def offer_ended(offer_id: UUID, amount: Money, outcome: OfferOutcome) -> Notice:
    return Notice(f"offer.{outcome.value}:{offer_id}", None, f"Offer of {amount_text(amount)} {outcome.value}.")


def purchase_step(transaction_id: UUID, amount: Money, step: PurchaseStep) -> Notice:
    """One notice per step: an event that changes nothing of the status (the escrow settled) posts nothing new."""
    text = PURCHASE_TEXTS[step].format(amount=amount_text(amount))
    return Notice(f"transaction.{step.value}:{transaction_id}", None, text)
