"""The rules of streams, without I/O: the moves, who acts, what an owner writes, comments and pins."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from trading.domain.listings import ListingStatus
from trading.domain.moves import IllegalTransition
from trading.domain.offers import ListingNotActive
from trading.domain.streams import (
    NotStreamOwner,
    StreamEnded,
    StreamFields,
    StreamMove,
    StreamNotLive,
    StreamStatus,
    check_comment,
    check_fields,
    check_live,
    check_owner,
    check_pinnable,
    check_pins_open,
    move,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
OWNER = uuid.uuid4()


def test_a_stream_goes_from_scheduled_to_live_to_ended():
    assert move(StreamStatus.SCHEDULED, StreamMove.START) is StreamStatus.LIVE
    assert move(StreamStatus.LIVE, StreamMove.END) is StreamStatus.ENDED


@pytest.mark.parametrize(
    ("status", "how"),
    [
        (StreamStatus.LIVE, StreamMove.START),
        (StreamStatus.ENDED, StreamMove.START),
        (StreamStatus.SCHEDULED, StreamMove.END),
        (StreamStatus.ENDED, StreamMove.END),
    ],
)
def test_every_other_move_is_refused_naming_the_status_and_the_move(status, how):
    with pytest.raises(IllegalTransition) as refused:
        move(status, how)
    assert refused.value.reason == "ILLEGAL_STATUS_TRANSITION"
    assert refused.value.metadata == {"status": status.value, "move": how.value}


def test_only_the_owner_acts_on_a_stream():
    check_owner(OWNER, OWNER)
    with pytest.raises(NotStreamOwner):
        check_owner(OWNER, uuid.uuid4())


def test_viewers_and_comments_come_while_live_and_pins_change_until_the_end():
    check_live(StreamStatus.LIVE, "comments")
    for status in (StreamStatus.SCHEDULED, StreamStatus.ENDED):
        with pytest.raises(StreamNotLive):
            check_live(status, "comments")
    check_pins_open(StreamStatus.SCHEDULED)
    check_pins_open(StreamStatus.LIVE)
    with pytest.raises(StreamEnded):
        check_pins_open(StreamStatus.ENDED)


@pytest.mark.parametrize("status", [s for s in ListingStatus if s is not ListingStatus.ACTIVE])
def test_only_an_active_listing_is_pinned(status):
    check_pinnable(ListingStatus.ACTIVE)
    with pytest.raises(ListingNotActive) as refused:
        check_pinnable(status)
    assert refused.value.metadata == {"status": status.value}


def test_the_title_is_trimmed_and_the_schedule_is_now_when_not_given():
    fields, problems = check_fields(StreamFields(title="  Friday night skins  "), NOW)
    assert problems == []
    assert (fields.title, fields.scheduled_at) == ("Friday night skins", NOW)


def test_a_schedule_a_moment_ago_passes_and_one_further_back_or_past_a_year_does_not():
    _, problems = check_fields(StreamFields(title="t", scheduled_at=NOW - timedelta(seconds=59)), NOW)
    assert problems == []
    for scheduled_at in (NOW - timedelta(minutes=1, seconds=1), NOW + timedelta(days=366)):
        _, problems = check_fields(StreamFields(title="t", scheduled_at=scheduled_at), NOW)
        assert [p.field for p in problems] == ["stream.scheduled_at"]


def test_every_problem_of_what_the_owner_wrote_is_named_at_once():
    fields = StreamFields(
        title=" " * 3,
        description="x" * 10_001,
        url="ftp://example.com/live",
        thumbnail_url="https://example.com/" + "x" * 2048,
    )
    _, problems = check_fields(fields, NOW)
    assert [p.field for p in problems] == [
        "stream.title",
        "stream.description",
        "stream.url",
        "stream.thumbnail_url",
    ]
    _, problems = check_fields(StreamFields(title="x" * 201), NOW)
    assert [p.field for p in problems] == ["stream.title"]


def test_a_comment_is_trimmed_and_holds_1_to_1000_characters():
    assert check_comment("  nice one  ") == ("nice one", [])
    assert check_comment("x" * 1000)[1] == []
    for text in ("", "   ", "x" * 1001):
        _, problems = check_comment(text)
        assert [p.field for p in problems] == ["comment.text"]
