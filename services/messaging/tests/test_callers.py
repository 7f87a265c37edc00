"""Every method of messaging needs a signed-in caller: without a token each one is UNAUTHENTICATED."""

import grpc
import pytest
from google.protobuf import message_factory

from marketplace.messaging.v1 import messaging_service_pb2

SERVICE = messaging_service_pb2.DESCRIPTOR.services_by_name["MessagingService"]
METHODS = list(SERVICE.methods)


@pytest.mark.parametrize("method", METHODS, ids=[method.name for method in METHODS])
async def test_every_method_refuses_a_call_without_a_token(stack, method):
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    path = f"/{SERVICE.full_name}/{method.name}"
    channel = stack.channel("messaging")
    kind = channel.unary_stream if method.server_streaming else channel.unary_unary
    call = kind(
        path, request_serializer=request_class.SerializeToString, response_deserializer=response_class.FromString
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        answer = call(request_class())
        await (answer.read() if method.server_streaming else answer)
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
