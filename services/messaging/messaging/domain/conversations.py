"""Rules of conversations: who talks to whom, who may see one, and what a new message does to it."""

from dataclasses import dataclass
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


class ConversationNotFound(NotFound):
    reason = "CONVERSATION_NOT_FOUND"


class ConversationWithYourself(FailedPrecondition):
    reason = "OWN_LISTING"


@dataclass(frozen=True)
class Topic:
    """What a new conversation is about: a listing (its seller is the other participant) or no listing, with
    another user named."""

    listing_id: UUID | None
    participant_id: UUID | None


def check_topic(topic: Topic) -> Topic:
    """A listing or a participant, not both and not neither."""
    if topic.listing_id is None and topic.participant_id is None:
        raise InvalidArgument([FieldViolation("listing_id", "a listing_id, or a participant_id without one")])
    if topic.listing_id is not None and topic.participant_id is not None:
        raise InvalidArgument(
            [FieldViolation("participant_id", "the seller of the listing is the other participant: leave it empty")]
        )
    return topic


def check_other(starter_id: UUID, other_id: UUID) -> None:
    if starter_id == other_id:
        raise ConversationWithYourself("a conversation needs someone else")


def participant(user_id: UUID, buyer_id: UUID, seller_id: UUID) -> bool:
    return user_id in (buyer_id, seller_id)


def other_participant(user_id: UUID, buyer_id: UUID, seller_id: UUID) -> UUID:
    return seller_id if user_id == buyer_id else buyer_id


def stays_archived(muted: bool) -> bool:
    """What a new message does to a participant's archived conversation: it comes back to the inbox, unless
    they muted it."""
    return muted
