"""Calls to another context through its stub, with a deadline."""

from collections.abc import Awaitable, Callable, Collection
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from servicekit.errors import Unavailable

Response = TypeVar("Response", bound=Message)


class Refused(Exception):
    """Another context refused the call for a reason the caller acts on (one of the codes it named)."""

    def __init__(self, code: grpc.StatusCode, reason: str, message: str) -> None:
        super().__init__(f"{code.name} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message


def _reason(error: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason the other context sent, or the status code's name without one."""
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        status = None
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return error.code().name


async def ask(
    context: str,
    method: Callable[..., Awaitable[Response]],
    request: Message,
    timeout: float,
    refusals: Collection[grpc.StatusCode] = (),
) -> Response | None:
    """The answer of another context's method, or None when it answers NOT_FOUND; Refused for the codes
    in `refusals` (such as FAILED_PRECONDITION, with the other context's reason).

    Any other failure, a missed deadline included, is UNAVAILABLE: the caller's request may be
    repeated, and the other context's own reasons are not ours to show. The call waits, within its
    deadline, for a channel that is reconnecting (the other context restarting), rather than
    failing at once while the channel backs off.
    """
    try:
        return await method(request, timeout=timeout, wait_for_ready=True)
    except grpc.aio.AioRpcError as exc:
        if exc.code() is grpc.StatusCode.NOT_FOUND:
            return None
        if exc.code() in refusals:
            raise Refused(exc.code(), _reason(exc), exc.details() or "") from exc
        raise Unavailable(f"{context} did not answer: {exc.code().name}") from exc
