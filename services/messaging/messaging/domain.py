"""Rules of messaging: no I/O, no proto, no clock."""

from servicekit.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound

MAX_TEXT = 4000


class ListingNotFound(NotFound):
    reason = "LISTING_NOT_FOUND"


class ConversationWithYourself(FailedPrecondition):
    reason = "OWN_LISTING"


def check_text(text: str, field: str = "text") -> str:
    if len(text) > MAX_TEXT:
        raise InvalidArgument([FieldViolation(field, f"must be at most {MAX_TEXT} characters")])
    return text
