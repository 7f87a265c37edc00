"""Rules of conversations: who talks to whom, what a message may say."""

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


class ConversationWithYourself(FailedPrecondition):
    reason = "OWN_LISTING"


def check_text(text: str, max_length: int, field: str = "text") -> str:
    if len(text) > max_length:
        raise InvalidArgument([FieldViolation(field, f"must be at most {max_length} characters")])
    return text
