"""Every messaging route of the public REST surface through the gateway: conversations, messages, read state,
archive and mute, and what they refuse."""

import pytest

from testkit.api import ok, signed_up, violations

THING = {"title": "Signed ball", "price": {"currency": "USD", "amount_minor": 2500}}


@pytest.fixture
async def conversation(api, things) -> tuple[dict, object, object]:
    """A conversation a buyer started about a seller's listing with one message: (conversation, seller, buyer)."""
    seller, buyer = await signed_up(api), await signed_up(api)
    listing = ok(await api.post("/v1/listings", json=THING | {"category_id": things["id"]}, headers=seller.headers))
    started = ok(
        await api.post("/v1/conversations", json={"listing_id": listing["id"], "text": "Hi"}, headers=buyer.headers)
    )
    return started, seller, buyer


async def test_messages_are_sent_once_per_key_and_read_newest_first(api, conversation):
    started, seller, buyer = conversation
    path = f"/v1/conversations/{started['id']}/messages"
    sent = ok(await api.post(path, params={"request_id": "k-1"}, json={"text": "Still there?"}, headers=buyer.headers))
    again = ok(await api.post(path, params={"request_id": "k-1"}, json={"text": "Still there?"}, headers=buyer.headers))
    assert again["id"] == sent["id"] and sent["kind"] == "MESSAGE_KIND_TEXT"
    image = ok(await api.post(path, json={"image_url": "https://example.com/b.png"}, headers=seller.headers))
    assert image["kind"] == "MESSAGE_KIND_IMAGE"
    first = ok(await api.get(path, params={"page_size": 2}, headers=seller.headers))
    assert [m["id"] for m in first["messages"]] == [image["id"], sent["id"]]
    rest = ok(await api.get(path, params={"page_token": first["next_page_token"]}, headers=seller.headers))
    assert [m["text"] for m in rest["messages"]] == ["Hi"] and rest["next_page_token"] == ""


async def test_mark_read_archive_unarchive_mute_and_get(api, conversation):
    started, seller, buyer = conversation
    base = f"/v1/conversations/{started['id']}"
    assert ok(await api.get(base, headers=seller.headers))["unread_count"] == 1
    read = ok(await api.post(f"{base}:markRead", json={}, headers=seller.headers))
    assert read["unread_count"] == 0 and read["last_read_message_id"] == read["last_message"]["id"]
    messages = ok(await api.get(f"{base}/messages", headers=buyer.headers))["messages"]
    assert "read_time" in messages[0]

    assert ok(await api.post(f"{base}:archive", json={}, headers=seller.headers))["archived"] is True
    assert ok(await api.get("/v1/conversations", headers=seller.headers))["conversations"] == []
    archived = ok(await api.get("/v1/conversations", params={"archived": "true"}, headers=seller.headers))
    assert [c["id"] for c in archived["conversations"]] == [started["id"]]
    assert ok(await api.post(f"{base}:unarchive", json={}, headers=seller.headers)).get("archived", False) is False
    assert ok(await api.post(f"{base}:mute", json={}, headers=seller.headers))["muted"] is True
    assert ok(await api.post(f"{base}:unmute", json={}, headers=seller.headers)).get("muted", False) is False
    inbox = ok(await api.get("/v1/conversations", headers=seller.headers))["conversations"]
    assert [c["id"] for c in inbox] == [started["id"]]


async def test_a_conversation_about_no_listing_names_the_other_user(api):
    one, other = await signed_up(api), await signed_up(api)
    started = ok(
        await api.post("/v1/conversations", json={"participant_id": other.id, "text": "Hello"}, headers=one.headers)
    )
    assert started.get("listing_id", "") == "" and started["seller_id"] == other.id
    back = ok(await api.post("/v1/conversations", json={"participant_id": one.id}, headers=other.headers))
    assert back["id"] == started["id"] and back["unread_count"] == 1


async def test_someone_else_gets_404_on_every_route_of_the_conversation(api, conversation):
    started, _, _ = conversation
    stranger = await signed_up(api)
    base = f"/v1/conversations/{started['id']}"
    responses = [
        await api.get(base, headers=stranger.headers),
        await api.get(f"{base}/messages", headers=stranger.headers),
        await api.post(f"{base}/messages", json={"text": "x"}, headers=stranger.headers),
        *[
            await api.post(f"{base}:{verb}", json={}, headers=stranger.headers)
            for verb in ("markRead", "archive", "unarchive")
        ],
    ]
    assert [response.status_code for response in responses] == [404] * 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x" * 100_000}, "message.text"),
        ({"text": ""}, "message.text"),
        ({"text": "a\u0000b"}, "message.text"),
        ({"image_url": "file:///etc/passwd"}, "message.image_url"),
    ],
    ids=["100000 characters", "empty", "NUL", "not http"],
)
async def test_bad_messages_are_400_naming_the_field(api, conversation, body, field):
    started, _, buyer = conversation
    response = await api.post(f"/v1/conversations/{started['id']}/messages", json=body, headers=buyer.headers)
    assert response.status_code == 400, response.text
    assert field in violations(response)
