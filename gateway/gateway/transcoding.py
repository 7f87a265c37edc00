"""An HTTP request into the RPC's request message, and the reply into the HTTP body.

As in grpc-gateway: the body fills the whole message (`body: "*"`) or one field
(`body: "listing"`); path variables set their fields, overriding the body; every other
field may come from the query string (`near.lat=52.5`, `attributes=a&attributes=b`,
`labels[key]=value`). A field that the path or the body binds may not come from the query.
"""

import json
from functools import cache
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from starlette.requests import Request

from gateway.decoding import Violation, fields_by_any_name, is_leaf, merge_json
from gateway.encoding import message_to_dict
from gateway.errors import GatewayError, bad_request
from gateway.routing import Route

BOUND_BY_PATH = "set by the URL path"
BOUND_BY_BODY = "read from the request body"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Deeper JSON than any of our messages needs; Python's parser and protobuf's (100) give up not far past it.
MAX_JSON_DEPTH = 32


async def request_message(route: Route, request: Request, path_values: dict[str, str], max_body_bytes: int) -> Message:
    """The request message of route's RPC; raises a GatewayError (400) naming every bad field."""
    message = route.rpc.request_class()
    violations: list[Violation] = []
    body = await read_json_body(route, request, max_body_bytes) if route.body else None
    if route.body == "*":
        violations += merge_json(message, body, bound=dict.fromkeys(route.path_fields, BOUND_BY_PATH))
    elif route.body:
        violations += merge_json(message, {route.body: body})
    violations += _merge_query(route, message, request.query_params.multi_items())
    violations += _merge_path(message, path_values)
    violations += _merge_idempotency_key(message, request.headers.get(IDEMPOTENCY_KEY_HEADER))
    if violations:
        raise bad_request(violations)
    if route.http_method == "PATCH":
        _fill_update_mask(route, message, body)
    return message


def _merge_idempotency_key(message: Message, key: str | None) -> list[Violation]:
    """The Idempotency-Key header (Stripe, the IETF draft) is the request_id of any method that takes one,
    so a client need not know whether a route reads request_id from the body or the query."""
    field = message.DESCRIPTOR.fields_by_name.get("request_id")
    if key is None or field is None or field.type != FieldDescriptor.TYPE_STRING:
        return []
    if message.request_id and message.request_id != key:
        return [("request_id", f"differs from the {IDEMPOTENCY_KEY_HEADER} header; send one of them")]
    message.request_id = key
    return []


def response_json(route: Route, reply: Message) -> Any:
    data = message_to_dict(reply)
    return data.get(route.response_body) if route.response_body else data


async def read_json_body(route: Route, request: Request, max_body_bytes: int) -> Any:
    """The parsed body: an empty body is `{}` for `body: "*"` (custom verbs often send none) and null for a field."""
    raw = await read_body(request, max_body_bytes)
    if not raw.strip():
        return {} if route.body == "*" else None
    field = "" if route.body == "*" else route.body
    too_deep = bad_request([(field, f"the request body is nested more than {MAX_JSON_DEPTH} levels deep")])
    try:
        body = json.loads(raw, object_pairs_hook=_refuse_duplicate_keys)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise bad_request([(field, f"the request body is not valid JSON: {error}")]) from None
    except RecursionError:
        raise too_deep from None
    if _nested_deeper_than(body, MAX_JSON_DEPTH):
        raise too_deep
    return body


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Iterative, so that the check itself cannot overflow the stack."""
    level, depth = [value], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for container in level
            if isinstance(container, dict | list)
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
    return False


async def read_body(request: Request, max_body_bytes: int) -> bytes:
    """The body, refused with 413 past the limit, before reading it all when Content-Length says so."""
    too_large = GatewayError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, f"the request body is over {max_body_bytes} bytes", http_status=413
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body_bytes:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _merge_query(route: Route, message: Message, items: list[tuple[str, str]]) -> list[Violation]:
    if not items:
        return []
    if route.body == "*":
        # http.proto: with body "*" every field not in the path is in the body; none is left for the query.
        return [(key, f"{BOUND_BY_BODY}: this method reads every field from the body") for key, _ in items]
    tree, violations = query_tree(items)
    bound = dict.fromkeys(route.path_fields, BOUND_BY_PATH)
    if route.body:
        bound[route.body] = BOUND_BY_BODY
    return violations + merge_json(message, tree, from_text=True, bound=bound)


def query_tree(items: list[tuple[str, str]]) -> tuple[dict[str, Any], list[Violation]]:
    """Turns `near.lat=1&tags=a&tags=b&labels[k]=v` into
    {"near": {"lat": ["1"]}, "tags": ["a", "b"], "labels": {"k": ["v"]}}."""
    tree: dict[str, Any] = {}
    violations: list[Violation] = []
    for key, value in items:
        names = _query_key_names(key)
        if names is None:
            violations.append((key, "is not a field path such as a.b or a.b[key]"))
            continue
        node = tree
        for name in names[:-1]:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                break
        leaf = node.setdefault(names[-1], []) if isinstance(node, dict) else None
        if not isinstance(leaf, list):
            violations.append((key, "conflicts with another parameter that sets the same field differently"))
            continue
        leaf.append(value)
    return tree, violations


def _query_key_names(key: str) -> list[str] | None:
    path, bracket, map_key = key.partition("[")
    names = path.split(".")
    if not all(names):
        return None
    if bracket:
        if not map_key.endswith("]") or "]" in map_key[:-1]:
            return None
        names.append(map_key[:-1])
    return names


@cache
def _plain_text_fields(message: Descriptor, field_paths: tuple[str, ...]) -> bool:
    """Whether every path names a top-level string field, which takes the path's text as it is."""
    fields = [message.fields_by_name.get(field_path) for field_path in field_paths]
    return all(field is not None and field.type == FieldDescriptor.TYPE_STRING for field in fields)


def _merge_path(message: Message, path_values: dict[str, str]) -> list[Violation]:
    """Sets the path variables' fields, parsed like query values; they override what the body said."""
    if _plain_text_fields(message.DESCRIPTOR, tuple(path_values)):
        try:
            for field_path, value in path_values.items():
                setattr(message, field_path, value)
            return []
        except ValueError:
            pass  # text that is not UTF-8: the walk below names the field
    tree: dict[str, Any] = {}
    for field_path, value in path_values.items():
        *parents, leaf = field_path.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = [value]
    parsed = type(message)()
    violations = merge_json(parsed, tree, from_text=True)
    if not violations:
        for field_path in path_values:
            *parents, leaf = field_path.split(".")
            source, target = parsed, message
            for name in parents:
                source, target = getattr(source, name), getattr(target, name)
            # setattr, not MergeFrom: a zero value in the path must still replace the body's.
            setattr(target, leaf, getattr(source, leaf))
    return violations


def _fill_update_mask(route: Route, message: Message, body: Any) -> None:
    """grpc-gateway's rule: a PATCH whose body is one field and that sends no update_mask
    updates the fields present in that body; nested objects give nested paths (`location.latitude`)."""
    field = message.DESCRIPTOR.fields_by_name.get("update_mask")
    if field is None or field.message_type is None or field.message_type.full_name != "google.protobuf.FieldMask":
        return
    body_field = message.DESCRIPTOR.fields_by_name.get(route.body)
    if message.update_mask.paths or body_field is None or body_field.message_type is None or not isinstance(body, dict):
        return
    message.update_mask.paths.extend(present_paths(body_field.message_type, body))


def present_paths(message: Descriptor, body: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in body.items():
        field = fields_by_any_name(message)[key]
        path = prefix + field.name
        nested = field.type == FieldDescriptor.TYPE_MESSAGE and not is_leaf(field) and not field.is_repeated
        if nested and isinstance(value, dict) and value:
            paths.extend(present_paths(field.message_type, value, path + "."))
        else:
            paths.append(path)
    return paths
