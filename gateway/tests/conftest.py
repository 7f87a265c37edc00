"""Fixtures: the test-only echo proto compiled with grpc_tools into a tmp dir, a real grpc.aio
echo server on port 0, and the gateway in front of it on a real uvicorn on a free port."""

import asyncio
import importlib
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.resources import files
from pathlib import Path
from types import ModuleType, SimpleNamespace

import grpc
import httpx
import pytest
from google.api import annotations_pb2
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from grpc_tools import protoc

from gateway.app import create_app
from gateway.comments import DESCRIPTOR_SET
from gateway.config import Settings
from testkit.http import serve_asgi

TEST_PROTOS = Path(__file__).parent / "protos"
REPO_PROTOS = Path(__file__).resolve().parents[2] / "protos"
ECHO_PROTO = TEST_PROTOS / "gwtest" / "echo" / "v1" / "echo.proto"
BACKEND_TIMEOUT_SECONDS = 0.5


@pytest.fixture(scope="session")
def echo_pb2(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """gwtest.echo.v1.echo_pb2, compiled for this test session."""
    out = tmp_path_factory.mktemp("echo_protos")
    (out / "gwtest").mkdir()
    googleapis = Path(annotations_pb2.__file__).parents[2]  # the site-packages holding google/api/*.proto
    well_known = files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{TEST_PROTOS}",
        f"-I{REPO_PROTOS}",
        f"-I{well_known}",
        f"-I{googleapis}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "--include_source_info",
        f"--descriptor_set_out={out / 'gwtest' / DESCRIPTOR_SET}",
        str(ECHO_PROTO),
    ]
    assert protoc.main(args) == 0, "protoc failed on the echo proto"
    sys.path.insert(0, str(out))
    return importlib.import_module("gwtest.echo.v1.echo_pb2")


@pytest.fixture(scope="session")
def echo_pb2_grpc(echo_pb2: ModuleType) -> ModuleType:
    return importlib.import_module("gwtest.echo.v1.echo_pb2_grpc")


def echo_servicer(pb2: ModuleType, pb2_grpc: ModuleType):
    class EchoServicer(pb2_grpc.EchoServiceServicer):
        def __init__(self) -> None:
            self.stream_cancelled = asyncio.Event()

        async def Echo(self, request, context):
            seen = {
                key: value for key, value in context.invocation_metadata() if key in ("authorization", "x-request-id")
            }
            return pb2.EchoReply(request=request, metadata=seen)

        Inspect = GetLobby = PostNote = UpdateNote = Shout = Locate = EchoText = DeleteRoom = Internal = Echo

        async def Fail(self, request, context):
            details = []
            for detail in (
                error_details_pb2.BadRequest(
                    field_violations=[error_details_pb2.BadRequest.FieldViolation(field="text", description="too rude")]
                ),
                error_details_pb2.ErrorInfo(reason="ECHO_REFUSED", domain="echo.test"),
            ):
                packed = any_pb2.Any()
                packed.Pack(detail)
                details.append(packed)
            status = status_pb2.Status(code=request.count, message=request.text, details=details)
            await context.abort_with_status(rpc_status.to_status(status))

        async def Sleep(self, request, context):
            await asyncio.sleep(request.count / 1000)
            return pb2.EchoReply(request=request)

        async def Watch(self, request, context):
            if request.text == "refuse":
                await context.abort(grpc.StatusCode.PERMISSION_DENIED, "not your room")
            try:
                await asyncio.sleep(request.ratio)  # a quiet start: no message, so no headers yet
                for index in range(request.count):
                    yield pb2.Event(id=f"e{index + 1}", type="said", said=f"{request.last_event_id}>{index + 1}")
                    if request.text == "break":
                        await context.abort(grpc.StatusCode.UNAVAILABLE, "room closed")
                if request.loud:
                    yield pb2.Event(id="n", type="note", note=pb2.Note(title="held open"))
                    await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.stream_cancelled.set()
                raise

    return EchoServicer()


@pytest.fixture
async def echo_server(echo_pb2: ModuleType, echo_pb2_grpc: ModuleType) -> AsyncIterator[SimpleNamespace]:
    server = grpc.aio.server()
    servicer = echo_servicer(echo_pb2, echo_pb2_grpc)
    echo_pb2_grpc.add_EchoServiceServicer_to_server(servicer, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield SimpleNamespace(address=f"127.0.0.1:{port}", health=health_servicer, servicer=servicer)
    await server.stop(None)


@asynccontextmanager
async def running_gateway(echo_address: str, **settings_overrides) -> AsyncIterator[httpx.AsyncClient]:
    """Serves create_app(...) for the echo backend on a free port, and yields a client of it."""
    settings = Settings(
        backend_timeout_seconds=BACKEND_TIMEOUT_SECONDS,
        health_timeout_seconds=0.5,
        stream_open_wait_seconds=0.2,
        **settings_overrides,
    )
    app = create_app(settings, addresses={"echo": echo_address}, proto_package="gwtest")
    async with serve_asgi(app) as client:
        yield client


@pytest.fixture
async def start_gateway() -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """start_gateway(echo_address, **settings) -> client; every gateway started stops at teardown."""
    async with AsyncExitStack() as stack:

        async def start(echo_address: str, **settings_overrides) -> httpx.AsyncClient:
            return await stack.enter_async_context(running_gateway(echo_address, **settings_overrides))

        yield start


@pytest.fixture
async def gateway(echo_server: SimpleNamespace, start_gateway) -> httpx.AsyncClient:
    """An HTTP client of a gateway whose `echo` backend is the echo server."""
    return await start_gateway(echo_server.address)


@pytest.fixture
async def gateway_without_backend(start_gateway) -> httpx.AsyncClient:
    """A gateway whose `echo` backend address has nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    return await start_gateway(f"127.0.0.1:{closed_port}")


@pytest.fixture
def echo_methods(echo_pb2: ModuleType):
    from gateway.descriptors import load_methods

    return load_methods("gwtest")
