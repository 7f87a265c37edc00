"""The OpenAPI 3.0 document, derived from the same route table the gateway serves, described by
the proto comments. 3.0 because the bundled Swagger UI (4.15) reads no later version."""

from collections.abc import Iterator, Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from gateway.decoding import is_leaf
from gateway.descriptors import Access
from gateway.openapi_errors import (
    ERROR_RESPONSES,
    ERROR_SCHEMA,
    RATE_LIMIT_HEADERS,
    error_responses,
    error_schema,
    header_objects,
    ref,
)
from gateway.routing import Route, RouteTable, field_at
from gateway.schemas import Schema, SchemaSet, is_output_only, is_required
from gateway.templates import PathTemplate, SegmentKind
from gateway.transcoding import IDEMPOTENCY_KEY_HEADER

SECURITY_SCHEME = "bearerAuth"
OPENAPI_VERSION = "3.0.3"
# The gateway's and the backends' refusals, by HTTP status: (component name, description).
# Query parameters cannot carry these: they are objects or lists of objects in JSON.
NOT_IN_QUERY = frozenset(
    {"google.protobuf.Struct", "google.protobuf.ListValue", "google.protobuf.Any", "google.protobuf.Empty"}
)


def build_openapi(
    routes: RouteTable,
    comments: Mapping[str, str] | None = None,
    title: str = "Marketplace API",
    version: str = "v1",
) -> dict[str, Any]:
    """The document of every route; comments (full name -> text, see gateway.comments) describe its parts."""
    schemas = SchemaSet(comments)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.routes:
        paths.setdefault(openapi_path(route.template), {})[route.http_method.lower()] = _operation(route, schemas)
    components = {
        "schemas": {ERROR_SCHEMA: error_schema(), **dict(sorted(schemas.components.items()))},
        "responses": error_responses(),
        "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def openapi_path(template: PathTemplate) -> str:
    """`/v1/{name=shelves/*}:archive` becomes `/v1/{name}:archive`."""
    starts = {variable.start: variable for variable in template.variables}
    parts, index = [], 0
    while index < len(template.segments):
        variable = starts.get(index)
        if variable:
            parts.append("{" + variable.field_path + "}")
            index = variable.end
        else:
            segment = template.segments[index]
            parts.append(segment.literal or ("**" if segment.kind is SegmentKind.MULTI else "*"))
            index += 1
    return "/" + "/".join(parts) + (":" + template.verb if template.verb else "")


def _operation(route: Route, schemas: SchemaSet) -> dict[str, Any]:
    rpc = route.rpc
    comment = schemas.comments.get(rpc.descriptor.full_name, "")
    errors = {status: name for status, (name, _) in ERROR_RESPONSES.items() if status != "413" or route.body}
    operation: dict[str, Any] = {
        "operationId": f"{rpc.service_name}_{rpc.name}" + (f"_{route.binding}" if route.binding else ""),
        "tags": [rpc.service_name],
        "summary": summary(comment) or rpc.name,
        "description": "\n\n".join(filter(None, [comment, f"gRPC `{rpc.grpc_path}`."])),
        "parameters": _path_parameters(route, schemas)
        + _query_parameters(route, schemas)
        + _idempotency_key_parameter(route),
        "responses": {
            "200": _success_response(route, schemas),
            **{status: {"$ref": f"#/components/responses/{name}"} for status, name in errors.items()},
            "default": {"description": "Another error.", "content": _json(ref(ERROR_SCHEMA))},
        },
    }
    if route.body:
        operation["requestBody"] = {"required": True, "content": _json(_body_schema(route, schemas))}
    if rpc.access != Access.ACCESS_PUBLIC:
        operation["security"] = [{SECURITY_SCHEME: []}]
    return operation


def _path_parameters(route: Route, schemas: SchemaSet) -> list[dict[str, Any]]:
    request = route.rpc.descriptor.input_type
    return [
        {
            "name": path,
            "in": "path",
            "required": True,
            **schemas.description(field_at(request, path).full_name),
            "schema": schemas.field_schema(field_at(request, path), with_behavior=False),
        }
        for path in route.path_fields
    ]


def _idempotency_key_parameter(route: Route) -> list[dict[str, Any]]:
    if "request_id" not in route.rpc.descriptor.input_type.fields_by_name:
        return []
    return [
        {
            "name": IDEMPOTENCY_KEY_HEADER,
            "in": "header",
            "required": False,
            "description": "The request_id: repeating a request with the same key returns its first response.",
            "schema": {"type": "string", "maxLength": 200},
        }
    ]


def _query_parameters(route: Route, schemas: SchemaSet) -> list[dict[str, Any]]:
    if route.body == "*":
        return []
    bound = set(route.path_fields) | ({route.body} if route.body else set())
    return list(_query_fields(route.rpc.descriptor.input_type, "", bound, True, schemas, ()))


def _query_fields(
    message: Descriptor,
    prefix: str,
    bound: set[str],
    required: bool,
    schemas: SchemaSet,
    enclosing: tuple[Descriptor, ...],
) -> Iterator[dict[str, Any]]:
    """Every field a query parameter can set, nested fields dotted (`near.lat`); bound holds full paths."""
    for field in message.fields:
        name = prefix + field.name
        if name in bound or is_output_only(field):
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name in NOT_IN_QUERY:
            continue
        field_required = required and is_required(field)
        if not is_leaf(field):
            outer = (*enclosing, message)  # a message that contains itself stops the descent
            if not field.is_repeated and field.message_type not in outer:
                yield from _query_fields(field.message_type, name + ".", bound, field_required, schemas, outer)
            continue
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            **schemas.description(field.full_name),
            "schema": schemas.field_schema(field, with_behavior=False),
        }
        if field_required:
            parameter["required"] = True
        if parameter["schema"].get("type") == "object":
            parameter.update(style="deepObject", explode=True)  # a map: labels[key]=value
        yield parameter


def _body_schema(route: Route, schemas: SchemaSet) -> Schema:
    request = route.rpc.descriptor.input_type
    # A PATCH sends only what changes, so the body's REQUIRED fields are not required there.
    partial = route.http_method == "PATCH"
    if route.body != "*":
        field = request.fields_by_name[route.body]
        if partial and field.type == FieldDescriptor.TYPE_MESSAGE and not is_leaf(field):
            return schemas.message_schema(field.message_type, required=False)
        return schemas.field_schema(field)
    if route.path_fields or partial:
        in_path = frozenset(path for path in route.path_fields if "." not in path)
        return schemas.message_schema(request, without=in_path, required=not partial)
    return schemas.message_ref(request)


def _success_response(route: Route, schemas: SchemaSet) -> dict[str, Any]:
    reply = route.rpc.descriptor.output_type
    if route.rpc.server_streaming:
        data = schemas.message_ref(reply)
        description = f"Server-Sent Events; each event's `data` is one JSON {reply.full_name}."
        return {
            "description": description,
            "content": {"text/event-stream": {"schema": {"type": "string"}, "x-event-data": data}},
        }
    schema = (
        schemas.field_schema(reply.fields_by_name[route.response_body])
        if route.response_body
        else schemas.message_ref(reply)
    )
    return {
        "description": f"A {reply.full_name}.",
        "headers": header_objects(RATE_LIMIT_HEADERS),
        "content": _json(schema),
    }


def summary(comment: str) -> str:
    """The comment's first sentence."""
    first_line = comment.split("\n\n")[0].replace("\n", " ")
    sentence, stop, _ = first_line.partition(". ")
    return sentence + "." if stop else first_line


def _json(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}
