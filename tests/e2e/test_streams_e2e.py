"""Live streams through the gateway over HTTP: every stream route, every move and the illegal ones, who may
do what, bad input, the counters, comments while live, and the listings a seller pins."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from marketplace.trading.v1 import trading_service_pb2_grpc
from servicekit.auth import Role
from testkit.api import detail, ok, reason, signed_up, violations
from testkit.settings import reset_settings
from testkit.tokens import bearer as grpc_bearer
from testkit.tokens import mint
from testkit.waiting import eventually


def soon(minutes: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
async def owner(api):
    return await signed_up(api)


@pytest.fixture
async def viewer(api):
    return await signed_up(api)


async def announce(api, owner, **fields) -> dict:
    return ok(await api.post("/v1/streams", json={"title": "Friday night drops"} | fields, headers=owner.headers))


async def move(api, person, stream: dict, verb: str) -> dict:
    return ok(await api.post(f"/v1/streams/{stream['id']}:{verb}", json={}, headers=person.headers))


@pytest.fixture
async def live(api, owner) -> dict:
    return await move(api, owner, await announce(api, owner), "start")


async def new_listing(api, seller, category: dict, *, draft: bool = False) -> dict:
    body = {"title": "Air Max 90", "category_id": category["id"], "attributes": {"size": 44}}
    body["price"] = {"currency": "EUR", "amount_minor": 8900}
    path = "/v1/listings?draft=true" if draft else "/v1/listings"
    return ok(await api.post(path, json=body, headers=seller.headers))


async def test_an_owner_announces_starts_and_ends_a_stream_that_anyone_reads(api, owner, things):
    fields = {
        "title": "  Rare skins, live  ",
        "description": "Opening cases and selling what comes out.",
        "category_id": things["id"],
        "scheduled_at": soon(),
        "url": "https://video.example.com/live/1",
        "thumbnail_url": "https://img.example.com/live-1.jpg",
    }
    made = await announce(api, owner, **fields)
    assert made["status"] == "STREAM_STATUS_SCHEDULED" and made["owner_id"] == owner.id
    assert made["title"] == "Rare skins, live" and made["category_id"] == things["id"]
    assert made["thumbnail_url"] == fields["thumbnail_url"] and made["url"] == fields["url"]
    assert "start_time" not in made and "end_time" not in made
    counts = ("viewer_count", "like_count", "comment_count", "share_count")
    assert [made[count] for count in counts] == ["0"] * 4
    assert ok(await api.get(f"/v1/streams/{made['id']}")) == made | {"liked": False}

    started = await move(api, owner, made, "start")
    assert started["status"] == "STREAM_STATUS_LIVE" and "start_time" in started and "end_time" not in started
    ended = await move(api, owner, made, "end")
    assert ended["status"] == "STREAM_STATUS_ENDED" and ended["end_time"] >= ended["start_time"]
    assert ok(await api.get(f"/v1/streams/{made['id']}"))["status"] == "STREAM_STATUS_ENDED"


async def test_every_move_but_start_from_scheduled_and_end_from_live_is_a_409(api, owner):
    stream = await announce(api, owner)
    for status, refused_verbs, next_verb in (
        ("scheduled", ["end"], "start"),
        ("live", ["start"], "end"),
        ("ended", ["start", "end"], None),
    ):
        for verb in refused_verbs:
            refused = await api.post(f"/v1/streams/{stream['id']}:{verb}", json={}, headers=owner.headers)
            assert refused.status_code == 409 and reason(refused) == "ILLEGAL_STATUS_TRANSITION", (status, verb)
            assert detail(refused, "ErrorInfo")["metadata"] == {"status": status, "move": verb}
        if next_verb:
            await move(api, owner, stream, next_verb)


async def test_without_a_token_every_write_is_a_401_and_every_read_is_open(api, owner, live, shoes):
    stream_id = live["id"]
    listing = await new_listing(api, owner, shoes)
    writes = [
        ("post", "/v1/streams", {"title": "Mine"}),
        *(("post", f"/v1/streams/{stream_id}:{verb}", {}) for verb in ("start", "end", "like", "unlike", "share")),
        ("post", f"/v1/streams/{stream_id}/comments", {"text": "hi"}),
        ("post", f"/v1/streams/{stream_id}/listings", {"listing_id": listing["id"]}),
        ("delete", f"/v1/streams/{stream_id}/listings/{listing['id']}", None),
    ]
    for method, path, body in writes:
        assert (await api.request(method, path, json=body)).status_code == 401, path
    for path in ("/v1/streams", f"/v1/streams/{stream_id}", f"/v1/streams/{stream_id}/comments"):
        ok(await api.get(path))
    ok(await api.get(f"/v1/streams/{stream_id}/listings"))
    assert ok(await api.post(f"/v1/streams/{stream_id}:view", json={}))["viewer_count"] == "1"


async def test_someone_else_is_refused_the_owners_moves_and_pins_with_a_403(api, owner, viewer, shoes):
    stream = await announce(api, owner)
    theirs = await new_listing(api, viewer, shoes)
    for verb in ("start", "end"):
        refused = await api.post(f"/v1/streams/{stream['id']}:{verb}", json={}, headers=viewer.headers)
        assert refused.status_code == 403 and reason(refused) == "NOT_STREAM_OWNER", verb
    pin = await api.post(
        f"/v1/streams/{stream['id']}/listings", json={"listing_id": theirs["id"]}, headers=viewer.headers
    )
    assert pin.status_code == 403 and reason(pin) == "NOT_STREAM_OWNER"
    unpin = await api.delete(f"/v1/streams/{stream['id']}/listings/{theirs['id']}", headers=viewer.headers)
    assert unpin.status_code == 403 and reason(unpin) == "NOT_STREAM_OWNER"
    assert ok(await api.get(f"/v1/streams/{stream['id']}"))["status"] == "STREAM_STATUS_SCHEDULED"
    unknown = await api.post(f"/v1/streams/{uuid.uuid4()}:start", json={}, headers=owner.headers)
    assert unknown.status_code == 404 and reason(unknown) == "STREAM_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"stream.title"}),
        ({"title": "   "}, {"stream.title"}),
        ({"title": "x" * 201}, {"stream.title"}),
        ({"title": "t", "description": "x" * 10_001}, {"stream.description"}),
        ({"title": "t", "category_id": "shoes"}, {"stream.category_id"}),
        ({"title": "t", "category_id": str(uuid.uuid4())}, {"stream.category_id"}),
        ({"title": "t", "scheduled_at": "2020-01-01T00:00:00Z"}, {"stream.scheduled_at"}),
        ({"title": "t", "url": "ftp://video.example.com/1"}, {"stream.url"}),
        ({"title": "t", "thumbnail_url": "not a link"}, {"stream.thumbnail_url"}),
        (
            {"title": " ", "description": "x" * 10_001, "url": "javascript:alert(1)", "category_id": str(uuid.uuid4())},
            {"stream.title", "stream.description", "stream.url", "stream.category_id"},
        ),
    ],
)
async def test_a_bad_stream_is_a_400_naming_every_field_and_makes_nothing(api, owner, body, fields):
    refused = await api.post("/v1/streams", json=body, headers=owner.headers)
    assert refused.status_code == 400 and violations(refused) == fields, refused.text
    assert ok(await api.get("/v1/streams", params={"owner_id": owner.id})).get("streams", []) == []


async def test_bad_ids_filters_and_comments_are_400s_naming_their_fields(api, owner, live):
    assert violations(await api.get("/v1/streams/not-a-stream")) == {"stream_id"}
    filters = await api.get("/v1/streams", params={"owner_id": "me", "category_id": "shoes"})
    assert filters.status_code == 400 and violations(filters) == {"owner_id", "category_id"}
    assert (await api.get("/v1/streams", params={"status": "STREAM_STATUS_PAUSED"})).status_code == 400
    pin = await api.post(f"/v1/streams/{live['id']}/listings", json={"listing_id": "x"}, headers=owner.headers)
    assert pin.status_code == 400 and violations(pin) == {"listing_id"}
    for text in ("", "   ", "x" * 1001):
        comment = await api.post(f"/v1/streams/{live['id']}/comments", json={"text": text}, headers=owner.headers)
        assert comment.status_code == 400 and violations(comment) == {"comment.text"}, text


async def test_the_list_shows_live_streams_then_scheduled_ones_filtered_by_owner_category_and_status(
    api, owner, viewer, things
):
    later = await announce(api, owner, scheduled_at=soon(120), category_id=things["id"])
    sooner = await announce(api, owner, scheduled_at=soon(60), category_id=things["id"])
    uncategorised = await announce(api, owner)
    on_air = await move(api, owner, await announce(api, owner, category_id=things["id"]), "start")
    over = await move(api, owner, await move(api, owner, await announce(api, owner), "start"), "end")
    await announce(api, viewer, category_id=things["id"])

    def ids(page: dict) -> list[str]:
        return [stream["id"] for stream in page.get("streams", [])]

    mine = ok(await api.get("/v1/streams", params={"owner_id": owner.id, "category_id": things["id"]}))
    assert ids(mine) == [on_air["id"], sooner["id"], later["id"]]
    first = ok(await api.get("/v1/streams", params={"owner_id": owner.id, "page_size": 2}))
    rest = ok(
        await api.get(
            "/v1/streams", params={"owner_id": owner.id, "page_size": 2, "page_token": first["next_page_token"]}
        )
    )
    # Announced without a time, it is scheduled for when it was made: the soonest.
    assert ids(first) + ids(rest) == [on_air["id"], uncategorised["id"], sooner["id"], later["id"]]
    assert rest.get("next_page_token", "") == ""
    ended = ok(await api.get("/v1/streams", params={"owner_id": owner.id, "status": "STREAM_STATUS_ENDED"}))
    assert ids(ended) == [over["id"]]
    assert on_air["id"] in ids(ok(await api.get("/v1/streams", params={"status": "STREAM_STATUS_LIVE"})))


async def test_viewers_are_counted_while_live_except_the_owner_and_likes_once_per_user(api, owner, viewer):
    stream = await announce(api, owner)
    early = await api.post(f"/v1/streams/{stream['id']}:view", json={})
    assert early.status_code == 409 and reason(early) == "STREAM_NOT_LIVE"
    await move(api, owner, stream, "start")
    path = f"/v1/streams/{stream['id']}"
    ok(await api.post(f"{path}:view", json={}))
    ok(await api.post(f"{path}:view", json={}, headers=viewer.headers))
    assert ok(await api.post(f"{path}:view", json={}, headers=owner.headers))["viewer_count"] == "2"

    liked = ok(await api.post(f"{path}:like", json={}, headers=viewer.headers))
    again = ok(await api.post(f"{path}:like", json={}, headers=viewer.headers))
    assert (liked["like_count"], liked["liked"]) == (again["like_count"], again["liked"]) == ("1", True)
    assert ok(await api.get(path, headers=owner.headers))["liked"] is False
    unliked = ok(await api.post(f"{path}:unlike", json={}, headers=viewer.headers))
    assert (unliked["like_count"], unliked["liked"]) == ("0", False)
    assert ok(await api.post(f"{path}:unlike", json={}, headers=viewer.headers))["like_count"] == "0"

    for _ in range(2):
        shared = ok(await api.post(f"{path}:share", json={}, headers=viewer.headers))
    assert shared["share_count"] == "2"
    await move(api, owner, stream, "end")
    late = await api.post(f"{path}:view", json={})
    assert late.status_code == 409 and reason(late) == "STREAM_NOT_LIVE"
    assert ok(await api.post(f"{path}:like", json={}, headers=viewer.headers))["like_count"] == "1"


async def test_comments_are_written_only_while_live_and_read_newest_first_in_pages(api, owner, viewer):
    stream = await announce(api, owner)
    path = f"/v1/streams/{stream['id']}/comments"
    early = await api.post(path, json={"text": "when?"}, headers=viewer.headers)
    assert early.status_code == 409 and reason(early) == "STREAM_NOT_LIVE"
    await move(api, owner, stream, "start")
    written = [ok(await api.post(path, json={"text": f"  bid {n}  "}, headers=viewer.headers)) for n in range(3)]
    assert (written[0]["text"], written[0]["author_id"], written[0]["stream_id"]) == ("bid 0", viewer.id, stream["id"])
    key = str(uuid.uuid4())
    once = ok(await api.post(path, params={"request_id": key}, json={"text": "sold!"}, headers=owner.headers))
    assert ok(await api.post(path, params={"request_id": key}, json={"text": "sold!"}, headers=owner.headers)) == once

    first = ok(await api.get(path, params={"page_size": 3}))
    rest = ok(await api.get(path, params={"page_size": 3, "page_token": first["next_page_token"]}))
    read = [comment["id"] for comment in first["comments"] + rest["comments"]]
    assert read == [once["id"], *(comment["id"] for comment in reversed(written))]
    assert ok(await api.get(f"/v1/streams/{stream['id']}"))["comment_count"] == "4"
    await move(api, owner, stream, "end")
    late = await api.post(path, json={"text": "missed it"}, headers=viewer.headers)
    assert late.status_code == 409 and reason(late) == "STREAM_NOT_LIVE"


async def test_the_owner_pins_their_active_listings_once_each_and_unpins_them(api, stack, owner, viewer, shoes):
    stream = await announce(api, owner)
    path = f"/v1/streams/{stream['id']}/listings"
    first, second = await new_listing(api, owner, shoes), await new_listing(api, owner, shoes)
    for listing in (second, first, second):
        pinned = ok(await api.post(path, json={"listing_id": listing["id"]}, headers=owner.headers))
        assert pinned["id"] == listing["id"] and pinned["status"] == "LISTING_STATUS_ACTIVE"
    assert [listing["id"] for listing in ok(await api.get(path))["listings"]] == [second["id"], first["id"]]
    assert ok(await api.delete(f"{path}/{second['id']}", headers=owner.headers)) == {}
    assert ok(await api.delete(f"{path}/{second['id']}", headers=owner.headers)) == {}
    ok(await api.post(f"/v1/listings/{first['id']}:cancel", json={}, headers=owner.headers))
    assert ok(await api.get(path)).get("listings", []) == []


async def test_a_pin_of_someone_elses_or_an_inactive_listing_is_refused(api, owner, viewer, shoes):
    stream = await announce(api, owner)
    path = f"/v1/streams/{stream['id']}/listings"
    theirs = await new_listing(api, viewer, shoes)
    refused = await api.post(path, json={"listing_id": theirs["id"]}, headers=owner.headers)
    assert refused.status_code == 403 and reason(refused) == "NOT_LISTING_SELLER"
    their_draft = await new_listing(api, viewer, shoes, draft=True)
    hidden = await api.post(path, json={"listing_id": their_draft["id"]}, headers=owner.headers)
    assert hidden.status_code == 404 and reason(hidden) == "LISTING_NOT_FOUND"
    own_draft = await new_listing(api, owner, shoes, draft=True)
    inactive = await api.post(path, json={"listing_id": own_draft["id"]}, headers=owner.headers)
    assert inactive.status_code == 409 and reason(inactive) == "LISTING_NOT_ACTIVE"
    assert detail(inactive, "ErrorInfo")["metadata"] == {"status": "draft"}
    assert ok(await api.get(path)).get("listings", []) == []


async def test_an_ended_streams_pins_no_longer_change(api, owner, shoes):
    stream = await announce(api, owner)
    path = f"/v1/streams/{stream['id']}/listings"
    listing = await new_listing(api, owner, shoes)
    ok(await api.post(path, json={"listing_id": listing["id"]}, headers=owner.headers))
    await move(api, owner, await move(api, owner, stream, "start"), "end")
    late = await api.post(
        path, json={"listing_id": (await new_listing(api, owner, shoes))["id"]}, headers=owner.headers
    )
    assert late.status_code == 409 and reason(late) == "STREAM_ENDED"
    unpin = await api.delete(f"{path}/{listing['id']}", headers=owner.headers)
    assert unpin.status_code == 409 and reason(unpin) == "STREAM_ENDED"
    assert [pinned["id"] for pinned in ok(await api.get(path))["listings"]] == [listing["id"]]


async def test_a_repeated_request_id_announces_one_stream(api, owner):
    key = str(uuid.uuid4())
    first = ok(await api.post("/v1/streams", params={"request_id": key}, json={"title": "Once"}, headers=owner.headers))
    again = ok(await api.post("/v1/streams", params={"request_id": key}, json={"title": "Once"}, headers=owner.headers))
    assert again == first
    assert len(ok(await api.get("/v1/streams", params={"owner_id": owner.id}))["streams"]) == 1


async def test_streams_are_refused_to_a_user_the_flag_leaves_out_but_a_live_one_still_ends(
    api, stack, signing_key, owner, live
):
    token = mint(signing_key, user_id=uuid.uuid4(), role=Role.ADMIN)
    admin = {"authorization": f"Bearer {token}"}
    other = await signed_up(api)
    flag = {"enabled": False, "percentage": 0, "user_ids": [other.id]}
    try:
        ok(await api.patch("/v1/trading/settings", json={"flags": {"streams_enabled": flag}}, headers=admin))

        async def refused_reason() -> str:
            response = await api.post("/v1/streams", json={"title": "Mine"}, headers=owner.headers)
            return reason(response) if response.status_code == 409 else str(response.status_code)

        await eventually(refused_reason, "STREAMS_DISABLED", seconds=5)
        assert (await api.post("/v1/streams", json={"title": "Theirs"}, headers=other.headers)).status_code == 200
        assert (await move(api, owner, live, "end"))["status"] == "STREAM_STATUS_ENDED"
    finally:
        stub = trading_service_pb2_grpc.TradingServiceStub(stack.channel("trading"))
        await reset_settings(stub, grpc_bearer(token))
