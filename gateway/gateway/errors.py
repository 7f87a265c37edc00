"""gRPC status to HTTP status and JSON error body, for backend errors and the gateway's own.

Body: {"code": <gRPC code number>, "status": "<CODE_NAME>", "message": "...",
"details": [<google.protobuf.Any as JSON with "@type">]}.
"""

from collections.abc import Iterable, Mapping

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.encoding import any_to_dict

# Unlike grpc-gateway, FAILED_PRECONDITION is 409: "listing already sold" is a conflict with state.
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
ERROR_DOMAIN = "gateway.marketplace"


class GatewayError(Exception):
    """A failure the gateway answers itself, in the same shape as a backend's."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        details: Iterable[Message] = (),
        http_status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = rich_status(code, message, details)
        self.http_status = http_status or HTTP_STATUS.get(code, 500)
        self.headers = headers

    def response(self) -> JSONResponse:
        return JSONResponse(error_body(self.status), status_code=self.http_status, headers=self.headers)


def bad_request(violations: Iterable[tuple[str, str]]) -> GatewayError:
    """INVALID_ARGUMENT with a google.rpc.BadRequest naming each bad field by its dotted path."""
    field_violations = [
        error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
        for field, description in violations
    ]
    summary = "; ".join(f"{v.field or 'body'}: {v.description}" for v in field_violations)
    return GatewayError(
        grpc.StatusCode.INVALID_ARGUMENT,
        f"invalid argument: {summary}",
        [error_details_pb2.BadRequest(field_violations=field_violations)],
    )


def error_info(reason: str, **metadata: str) -> error_details_pb2.ErrorInfo:
    """A google.rpc.ErrorInfo of the gateway's own, with a stable reason, as the services send theirs."""
    return error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata)


def rich_status(code: grpc.StatusCode, message: str, details: Iterable[Message] = ()) -> status_pb2.Status:
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    return status_pb2.Status(code=code.value[0], message=message, details=packed)


def status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The google.rpc.Status a backend sent in `grpc-status-details-bin`, or one made from code and details."""
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        # A details trailer that disagrees with the status line: trust the status line.
        status = None
    return status or _plain_status(error.code(), error.details())


def _plain_status(code: grpc.StatusCode, details: str | None) -> status_pb2.Status:
    return status_pb2.Status(code=code.value[0], message=details or "")


def http_status_of(status: status_pb2.Status) -> int:
    code = CODE_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return HTTP_STATUS.get(code, 500)


def error_body(status: status_pb2.Status) -> dict:
    code = CODE_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    return {
        "code": status.code,
        "status": code.name,
        "message": status.message,
        "details": [any_to_dict(detail) for detail in status.details],
    }


def error_response(status: status_pb2.Status) -> JSONResponse:
    return JSONResponse(error_body(status), status_code=http_status_of(status))


# Starlette's own refusals: an unknown docs asset, a wrong method on /healthz.
CODE_BY_HTTP_STATUS = {404: grpc.StatusCode.NOT_FOUND, 405: grpc.StatusCode.UNIMPLEMENTED}


async def http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPExceptions in the same JSON shape as every other error."""
    assert isinstance(exc, HTTPException)
    code = CODE_BY_HTTP_STATUS.get(exc.status_code, grpc.StatusCode.UNKNOWN)
    return GatewayError(code, exc.detail, http_status=exc.status_code, headers=exc.headers).response()


async def internal_error_response(request: Request, exc: Exception) -> Response:
    """A bug answers in the same JSON shape too, without its traceback."""
    return GatewayError(grpc.StatusCode.INTERNAL, "internal error in the gateway").response()


EXCEPTION_HANDLERS = {HTTPException: http_exception_response, Exception: internal_error_response}
