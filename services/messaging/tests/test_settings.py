"""Messaging's runtime settings: the longest message an admin allows is the longest anyone sends."""

import grpc
import pytest

from marketplace.messaging.v1 import messaging_service_pb2 as pb
from servicekit.auth import Role
from testkit.grpc import field_violations, rpc_error
from testkit.settings import reset_settings, settings_change


@pytest.fixture
async def admin(messaging, person):
    """An admin's metadata; every setting is back to its default after the test."""
    _, metadata = person(Role.ADMIN)
    yield metadata
    await reset_settings(messaging, metadata)


async def test_a_message_longer_than_the_setting_is_refused(messaging, admin, person, listing_of):
    await messaging.UpdateSettings(settings_change({"max_message_length": 10}), metadata=admin)
    listing = await listing_of(person()[1])
    _, buyer = person()
    request = pb.CreateConversationRequest(listing_id=listing.id, text="x" * 11)
    error = await rpc_error(messaging.CreateConversation(request, metadata=buyer))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(error) == {"text": "must be at most 10 characters"}
    sent = await messaging.CreateConversation(
        pb.CreateConversationRequest(listing_id=listing.id, text="x" * 10), metadata=buyer
    )
    assert sent.last_message.text == "x" * 10
