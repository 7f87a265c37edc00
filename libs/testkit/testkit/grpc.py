"""Failed calls, and their rich error details read as clients read them."""

from collections.abc import Awaitable

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from servicekit.errors import DETAILS_KEY


def _details(error: grpc.aio.AioRpcError) -> list:
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            return list(status_pb2.Status.FromString(value).details)
    return []


def error_reason(error: grpc.aio.AioRpcError) -> str | None:
    for detail in _details(error):
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return None


def error_metadata(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The metadata of the ErrorInfo, such as the counts of a refusal or the field of a taken name."""
    for detail in _details(error):
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return dict(info.metadata)
    return {}


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    for detail in _details(error):
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            return {v.field: v.description for v in bad_request.field_violations}
    return {}


async def rpc_error(call: Awaitable) -> grpc.aio.AioRpcError:
    """The error a call fails with; the test fails if it succeeds."""
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value
