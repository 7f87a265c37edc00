"""Calls to another context through its stub, with a deadline."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from servicekit.errors import Unavailable

Response = TypeVar("Response", bound=Message)


async def ask(
    context: str, method: Callable[..., Awaitable[Response]], request: Message, timeout: float
) -> Response | None:
    """The answer of another context's method, or None when it answers NOT_FOUND.

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
        raise Unavailable(f"{context} did not answer: {exc.code().name}") from exc
