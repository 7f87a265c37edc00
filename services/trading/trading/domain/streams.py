"""Rules of live streams: their statuses and moves, what an owner writes, who acts on a stream, and comments."""

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from servicekit.errors import FailedPrecondition, FieldViolation, NotFound, PermissionDenied
from servicekit.urls import url_violation
from trading.domain.listings import ListingStatus
from trading.domain.moves import moved
from trading.domain.offers import ListingNotActive

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 1000
# A client's clock and ours differ a little: "now" sent a moment ago is still now.
SCHEDULE_SLACK = timedelta(minutes=1)
SCHEDULE_HORIZON = timedelta(days=365)


class StreamStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class StreamMove(enum.StrEnum):
    """What changes a stream's status: its owner starts it, then ends it."""

    START = "start"
    END = "end"


# Each move: the statuses it starts from, and the one it leads to. Ended is final.
STREAM_MOVES = {
    StreamMove.START: (frozenset({StreamStatus.SCHEDULED}), StreamStatus.LIVE),
    StreamMove.END: (frozenset({StreamStatus.LIVE}), StreamStatus.ENDED),
}
# What ListStreams shows when no status is asked for, in this order: what one can watch now, then what comes.
LISTED_BY_DEFAULT = (StreamStatus.LIVE, StreamStatus.SCHEDULED)


class StreamNotFound(NotFound):
    reason = "STREAM_NOT_FOUND"


class NotStreamOwner(PermissionDenied):
    reason = "NOT_STREAM_OWNER"


class StreamNotLive(FailedPrecondition):
    reason = "STREAM_NOT_LIVE"


class StreamEnded(FailedPrecondition):
    reason = "STREAM_ENDED"


class StreamsDisabled(FailedPrecondition):
    reason = "STREAMS_DISABLED"


def move(current: StreamStatus, how: StreamMove) -> StreamStatus:
    """The status the move leads to from `current`; FAILED_PRECONDITION when it does not start there."""
    return moved(STREAM_MOVES, current, how, "stream")


def check_owner(owner_id: UUID, user_id: UUID) -> None:
    """Every stream is public, so someone else acting on one is refused (403), not told it is missing."""
    if owner_id != user_id:
        raise NotStreamOwner("only the stream's owner may do this")


def check_live(status: StreamStatus, what: str) -> None:
    if status is not StreamStatus.LIVE:
        raise StreamNotLive(
            f"a {status.value} stream takes no {what}: only a live one does", metadata={"status": status.value}
        )


def check_pins_open(status: StreamStatus) -> None:
    """The listings of a stream are set before and during it; an ended stream's stay as they were."""
    if status is StreamStatus.ENDED:
        raise StreamEnded(
            "the stream has ended: its pinned listings no longer change", metadata={"status": status.value}
        )


def check_pinnable(status: ListingStatus) -> None:
    """A listing is pinned while it is on sale."""
    if status is not ListingStatus.ACTIVE:
        raise ListingNotActive(
            f"a {status.value} listing cannot be pinned: only an active one can", metadata={"status": status.value}
        )


@dataclass(frozen=True)
class StreamFields:
    """What an owner writes about a stream."""

    title: str = ""
    description: str = ""
    category_id: UUID | None = None
    scheduled_at: datetime | None = None
    url: str = ""
    thumbnail_url: str = ""


def check_fields(
    fields: StreamFields, now: datetime, prefix: str = "stream."
) -> tuple[StreamFields, list[FieldViolation]]:
    """The fields with the title trimmed and the schedule set (now when not given), and every problem
    of the owner's text, time and links."""
    violations = []
    title = fields.title.strip()
    if not title:
        violations.append(FieldViolation(f"{prefix}title", "is required"))
    elif len(title) > MAX_TITLE:
        violations.append(FieldViolation(f"{prefix}title", f"must be at most {MAX_TITLE} characters"))
    if len(fields.description) > MAX_DESCRIPTION:
        violations.append(FieldViolation(f"{prefix}description", f"must be at most {MAX_DESCRIPTION} characters"))
    scheduled_at = fields.scheduled_at or now
    if scheduled_at < now - SCHEDULE_SLACK:
        violations.append(FieldViolation(f"{prefix}scheduled_at", "must not be in the past"))
    elif scheduled_at > now + SCHEDULE_HORIZON:
        violations.append(FieldViolation(f"{prefix}scheduled_at", "must be at most a year ahead"))
    for name in ("url", "thumbnail_url"):
        if problem := url_violation(f"{prefix}{name}", getattr(fields, name)):
            violations.append(problem)
    return replace(fields, title=title, scheduled_at=scheduled_at), violations


def check_comment(text: str, prefix: str = "comment.") -> tuple[str, list[FieldViolation]]:
    """The comment's text trimmed, and what is wrong with it."""
    text = text.strip()
    if not text:
        return text, [FieldViolation(f"{prefix}text", "is required")]
    if len(text) > MAX_COMMENT:
        return text, [FieldViolation(f"{prefix}text", f"must be at most {MAX_COMMENT} characters")]
    return text, []
