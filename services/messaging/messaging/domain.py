"""Rules of messaging: no I/O, no proto, no clock."""

from dataclasses import dataclass

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from servicekit.runtime_settings import ON, Flag, RuntimeSettings, setting


@dataclass(frozen=True)
class MessagingRuntimeSettings(RuntimeSettings):
    """What messaging's admins tune while it runs (GET|PATCH /v1/messaging/settings)."""

    max_message_length: int = setting(4000, "The most characters a message's text may have.", minimum=1, maximum=20_000)
    images_enabled: Flag = setting(ON, "Users may send images in conversations.")


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


class ConversationWithYourself(FailedPrecondition):
    reason = "OWN_LISTING"


def check_text(text: str, max_length: int, field: str = "text") -> str:
    if len(text) > max_length:
        raise InvalidArgument([FieldViolation(field, f"must be at most {max_length} characters")])
    return text
