"""The gRPC backends: one grpc.aio channel per context, and calls with metadata and a deadline."""

from collections.abc import Mapping

import grpc
from google.protobuf.message import Message

from gateway.descriptors import RpcMethod

Metadata = tuple[tuple[str, str], ...]

# Spread calls over every address DNS gives (headless Services in Kubernetes list each pod).
CHANNEL_OPTIONS = [("grpc.lb_policy_name", "round_robin")]


class Backends:
    """Channels by context (`catalog`, ...). They belong to an event loop, so open() runs in the app's lifespan."""

    def __init__(self, addresses: Mapping[str, str], timeout_seconds: float, stream_timeout_seconds: float) -> None:
        self.addresses = dict(addresses)
        self.timeout_seconds = timeout_seconds
        self.stream_timeout_seconds = stream_timeout_seconds
        self.channels: dict[str, grpc.aio.Channel] = {}
        # Made once per method and channel: making one per call measured in the gateway's profile.
        self._unary: dict[str, grpc.aio.UnaryUnaryMultiCallable] = {}

    async def open(self) -> None:
        self.channels = {
            context: grpc.aio.insecure_channel(f"dns:///{address}", options=CHANNEL_OPTIONS)
            for context, address in self.addresses.items()
        }

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        self.channels = {}
        self._unary = {}

    async def call(self, rpc: RpcMethod, request: Message, metadata: Metadata) -> Message:
        """A unary call; raises grpc.aio.AioRpcError with the backend's status."""
        method = self._unary.get(rpc.grpc_path)
        if method is None:
            method = self._unary[rpc.grpc_path] = self.channels[rpc.context].unary_unary(
                rpc.grpc_path,
                request_serializer=rpc.request_class.SerializeToString,
                response_deserializer=rpc.response_class.FromString,
            )
        return await method(request, metadata=metadata, timeout=self.timeout_seconds)

    def stream(self, rpc: RpcMethod, request: Message, metadata: Metadata) -> grpc.aio.UnaryStreamCall:
        """A server-streaming call, with the longer stream deadline."""
        method = self.channels[rpc.context].unary_stream(
            rpc.grpc_path,
            request_serializer=rpc.request_class.SerializeToString,
            response_deserializer=rpc.response_class.FromString,
        )
        return method(request, metadata=metadata, timeout=self.stream_timeout_seconds)
