"""The error responses every OpenAPI operation lists (by reference to these components), and the error
body's schema."""

from collections.abc import Mapping
from typing import Any

from gateway.schemas import REF_PREFIX, WELL_KNOWN, Schema

ERROR_SCHEMA = "Error"
# The gateway's and the backends' refusals, by HTTP status: (component name, description).
ERROR_RESPONSES = {
    "400": ("BadRequest", "Bad input: a google.rpc.BadRequest in `details` names each field and why."),
    "401": ("Unauthenticated", "No bearer token where one is needed, or one that is not valid."),
    "403": ("PermissionDenied", "The caller may not do this."),
    "404": ("NotFound", "Not found, or not visible to the caller."),
    "409": ("Conflict", "In conflict with the current state (FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS)."),
    "413": ("PayloadTooLarge", "The request body is over the gateway's limit (operations with a body)."),
    "429": ("TooManyRequests", "Past a rate limit of the caller's address or token, or a quota of a service."),
    "503": ("Unavailable", "The gateway has too many requests under way, or a service is unavailable."),
}
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": "The rate limits that apply, as in draft-ietf-httpapi-ratelimit-headers: "
    '`"reads-address";q=1200;w=60` (q requests per w seconds).',
    "RateLimit": 'What is left of each: `"reads-address";r=199;t=1` (r requests now, full again in t seconds).',
}
RETRY_AFTER = {"Retry-After": "Seconds to wait before trying again."}


def error_responses() -> dict[str, Any]:
    responses = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": ref(ERROR_SCHEMA)}},
        }
        if status in ("429", "503"):
            response["headers"] = header_objects(RETRY_AFTER | (RATE_LIMIT_HEADERS if status == "429" else {}))
        responses[name] = response
    return responses


def header_objects(descriptions: Mapping[str, str]) -> dict[str, Any]:
    return {name: {"description": text, "schema": {"type": "string"}} for name, text in descriptions.items()}


def error_schema() -> Schema:
    return {
        "type": "object",
        "description": "A gRPC status as JSON; `details` holds google.rpc.BadRequest, ErrorInfo and the like.",
        "properties": {
            "code": {"type": "integer", "description": "The gRPC status code number."},
            "status": {"type": "string", "description": "The gRPC status code name, such as INVALID_ARGUMENT."},
            "message": {"type": "string"},
            "details": {"type": "array", "items": WELL_KNOWN["google.protobuf.Any"]},
        },
        "required": ["code", "status", "message", "details"],
    }


def ref(name: str) -> Schema:
    return {"$ref": REF_PREFIX + name}
