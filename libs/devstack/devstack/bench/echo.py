"""The ceiling of the gateway benchmark: one HTTP hop and one gRPC hop, no database, no gateway logic.

    python -m devstack.bench.echo grpc PORT            a bare grpc.aio server with only the health service
    python -m devstack.bench.echo http PORT BACKEND    a Starlette app whose one route, GET /echo, calls
                                                       the standard health Check on BACKEND (host:port)

Both are started as processes of their own, like the gateway and the catalog they stand for.
"""

import argparse
import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import uvicorn
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def serve_grpc(port: int) -> None:
    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await server.stop(1)


def create_app(backend: str) -> Starlette:
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with grpc.aio.insecure_channel(backend) as channel:
            state["stub"] = health_pb2_grpc.HealthStub(channel)
            yield

    async def echo(request: Request) -> JSONResponse:
        reply = await state["stub"].Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        return JSONResponse({"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)})

    return Starlette(routes=[Route("/echo", echo, methods=["GET"])], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.bench.echo")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("grpc").add_argument("port", type=int)
    http = commands.add_parser("http")
    http.add_argument("port", type=int)
    http.add_argument("backend")
    args = parser.parse_args()
    if args.command == "grpc":
        # The event loop the services run on (servicekit.cli), as uvicorn runs the HTTP side on it.
        uvloop.run(serve_grpc(args.port))
    else:
        # The same server and settings as `python -m gateway serve` with LOG_LEVEL=warning.
        uvicorn.run(create_app(args.backend), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
