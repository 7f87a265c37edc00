"""Rules of messages: their kinds, what a participant may write, and who reads what."""

import enum
from dataclasses import dataclass
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument
from servicekit.urls import url_violation

# The most characters any text may have whatever the setting: the database checks it too.
MAX_TEXT = 20_000


class MessageKind(enum.StrEnum):
    TEXT = "text"
    IMAGE = "image"
    # An offer made in trading, posted in its proposer's name.
    OFFER = "offer"
    # A notice of the marketplace (an offer answered, a purchase's step): nobody sent it.
    SYSTEM = "system"


class ImagesDisabled(FailedPrecondition):
    reason = "IMAGES_DISABLED"


@dataclass(frozen=True)
class Content:
    """What a participant writes: a text, an image, or both."""

    text: str
    image_url: str = ""

    @property
    def kind(self) -> MessageKind:
        return MessageKind.IMAGE if self.image_url else MessageKind.TEXT


def check_text(text: str, max_length: int, field: str = "text") -> list[FieldViolation]:
    if len(text) > max_length:
        return [FieldViolation(field, f"must be at most {max_length} characters")]
    return []


def check_content(content: Content, max_length: int, images_enabled: bool, prefix: str = "") -> Content:
    """The content if a participant may send it; INVALID_ARGUMENT naming `<prefix>text` or `<prefix>image_url`,
    or IMAGES_DISABLED while the setting is off. (NUL characters never get here: the kit refuses them.)"""
    violations = check_text(content.text, max_length, f"{prefix}text")
    # Blanks alone show nothing: as empty as no text (a text is sent as written otherwise).
    if not content.text.strip() and not content.image_url:
        violations.append(FieldViolation(f"{prefix}text", "a message needs a text or an image_url"))
    if problem := url_violation(f"{prefix}image_url", content.image_url):
        violations.append(problem)
    if violations:
        raise InvalidArgument(violations)
    if content.image_url and not images_enabled:
        raise ImagesDisabled("images are not allowed in conversations at the moment")
    return content


def unread_by(sender_id: UUID | None, buyer_id: UUID, seller_id: UUID) -> tuple[UUID, ...]:
    """Who a new message is unread for: the other participant, or both for a system message."""
    if sender_id is None:
        return (buyer_id, seller_id)
    return (seller_id if sender_id == buyer_id else buyer_id,)
