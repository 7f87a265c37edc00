"""/healthz: the gateway is healthy when every backend answers the standard gRPC health check SERVING."""

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.backends import Backends

SERVING = health_pb2.HealthCheckResponse.ServingStatus.Name(health_pb2.HealthCheckResponse.SERVING)


async def check_backend(channel: grpc.aio.Channel, timeout_seconds: float) -> str:
    """SERVING, another serving status, or the error of the check call (`UNAVAILABLE: ...`)."""
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=timeout_seconds
        )
    except grpc.aio.AioRpcError as error:
        return f"{error.code().name}: {error.details()}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


class HealthCheck:
    def __init__(self, backends: Backends, timeout_seconds: float) -> None:
        self.backends = backends
        self.timeout_seconds = timeout_seconds

    async def endpoint(self, request: Request) -> JSONResponse:
        contexts = sorted(self.backends.channels)
        results = await asyncio.gather(
            *(check_backend(self.backends.channels[context], self.timeout_seconds) for context in contexts)
        )
        backends = dict(zip(contexts, results, strict=True))
        failing = sorted(context for context, result in backends.items() if result != SERVING)
        body = {"status": "NOT_SERVING" if failing else SERVING, "backends": backends, "failing": failing}
        return JSONResponse(body, status_code=503 if failing else 200)
