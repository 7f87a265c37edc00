"""The route table: HTTP routes built at start-up from the RPCs' `google.api.http` rules, and
checked then, so that a rule the gateway cannot serve stops it with a clear message."""

from collections.abc import Iterable
from dataclasses import dataclass

from google.api import http_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from gateway.descriptors import Access, RpcMethod
from gateway.templates import PathTemplate, SegmentKind, TemplateError, decode_segment, parse_template

METHODS_WITHOUT_BODY = frozenset({"GET", "DELETE"})


class RouteError(ValueError):
    """An HTTP rule the gateway refuses to serve."""


@dataclass(frozen=True)
class Route:
    http_method: str
    template: PathTemplate
    body: str  # "", "*" or the name of a top-level request field
    response_body: str  # "" or the name of a top-level response field
    rpc: RpcMethod
    binding: int  # 0 for the rule itself, 1.. for its additional_bindings

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(variable.field_path for variable in self.template.variables)


@dataclass(frozen=True)
class Resolved:
    route: Route
    path_values: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    allowed: tuple[str, ...]


# Routes are grouped by their first literal segments (`v1`, `games`), so that a request tries only
# the templates that can fit it: trying every one measured as the gateway's largest routing cost.
PREFIX_SEGMENTS = 2
Prefix = tuple[str | None, ...]  # a literal, or None where any segment fits


class RouteTable:
    """Routes in precedence order; for the request's method, the first template that matches wins."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(sorted(routes, key=lambda route: route.template.precedence))
        prefixes = [(_prefix(route.template), route) for route in self.routes]
        literal = {prefix for prefix, _ in prefixes if None not in prefix}
        self._by_prefix = {key: tuple(route for prefix, route in prefixes if _fits(prefix, key)) for key in literal}
        # A path whose first segments are no route's literals can only fit a template with wildcards there.
        self._elsewhere = tuple(route for prefix, route in prefixes if None in prefix)

    def resolve(self, http_method: str, raw_path: str) -> Resolved | MethodNotAllowed | None:
        """The route and path values for a request; MethodNotAllowed when only other methods
        fit the path; None when nothing does."""
        parts = raw_path[1:].split("/", PREFIX_SEGMENTS)[:PREFIX_SEGMENTS]
        # Literals hold no ":", so a verb is never part of what they compare with.
        key = tuple(decode_segment(part.partition(":")[0]) for part in parts)
        key += ("",) * (PREFIX_SEGMENTS - len(key))
        allowed = []
        for route in self._by_prefix.get(key, self._elsewhere):
            values = route.template.match(raw_path)
            if values is None:
                continue
            if route.http_method == http_method:
                return Resolved(route, values)
            allowed.append(route.http_method)
        return MethodNotAllowed(tuple(sorted(set(allowed)))) if allowed else None


def _prefix(template: PathTemplate) -> Prefix:
    """The template's first segments as the prefix key: "" past its end, None from a wildcard on."""
    prefix: list[str | None] = []
    for segment in template.segments[:PREFIX_SEGMENTS]:
        if segment.kind is not SegmentKind.LITERAL:
            break
        prefix.append(segment.literal)
    else:
        prefix += [""] * (PREFIX_SEGMENTS - len(prefix))
    return tuple(prefix + [None] * (PREFIX_SEGMENTS - len(prefix)))


def _fits(prefix: Prefix, key: Prefix) -> bool:
    return all(wanted is None or wanted == part for wanted, part in zip(prefix, key, strict=True))


def build_route_table(methods: Iterable[RpcMethod]) -> RouteTable:
    """Routes for every RPC with an HTTP rule; raises RouteError for a rule that cannot be served."""
    routes: list[Route] = []
    for rpc in methods:
        if rpc.http_rule is None:
            continue
        if rpc.access == Access.ACCESS_INTERNAL:
            raise RouteError(f"{rpc.grpc_path} is ACCESS_INTERNAL but has a google.api.http rule")
        if rpc.client_streaming:
            raise RouteError(f"{rpc.grpc_path} is client-streaming, which HTTP/JSON cannot carry")
        bindings = [rpc.http_rule, *rpc.http_rule.additional_bindings]
        for index, rule in enumerate(bindings):
            if index and rule.additional_bindings:
                raise RouteError(f"{rpc.grpc_path}: additional_bindings nest one level only")
            routes.append(_route(rpc, rule, index))
    _refuse_conflicts(routes)
    return RouteTable(routes)


def _route(rpc: RpcMethod, rule: http_pb2.HttpRule, binding: int) -> Route:
    pattern = rule.WhichOneof("pattern")
    if pattern is None:
        raise RouteError(f"{rpc.grpc_path}: http rule has no method and path")
    if pattern == "custom":
        http_method, path = rule.custom.kind.upper(), rule.custom.path
        if not http_method.isalpha():
            raise RouteError(f"{rpc.grpc_path}: custom kind {rule.custom.kind!r} is not an HTTP method")
    else:
        http_method, path = pattern.upper(), getattr(rule, pattern)
    try:
        template = parse_template(path)
    except TemplateError as error:
        raise RouteError(f"{rpc.grpc_path}: {error}") from None
    route = Route(http_method, template, rule.body, rule.response_body, rpc, binding)
    where = f"{rpc.grpc_path} ({http_method} {path})"
    if rule.body and http_method in METHODS_WITHOUT_BODY:
        raise RouteError(f"{where}: a {http_method} cannot have a body")
    if rule.body not in ("", "*"):
        _top_level_field(rpc.descriptor.input_type, rule.body, f"{where}: body")
    if rule.response_body:
        _top_level_field(rpc.descriptor.output_type, rule.response_body, f"{where}: response_body")
    for field_path in route.path_fields:
        leaf = field_at(rpc.descriptor.input_type, field_path)
        if leaf is None:
            raise RouteError(
                f"{where}: path variable {{{field_path}}} names no field of {rpc.descriptor.input_type.full_name}"
            )
        if leaf.is_repeated or leaf.type == FieldDescriptor.TYPE_MESSAGE:
            raise RouteError(f"{where}: path variable {{{field_path}}} must name a single scalar field")
    return route


def field_at(message: Descriptor, field_path: str) -> FieldDescriptor | None:
    """The field a dotted path names, through singular message fields; None if there is none."""
    field = None
    for name in field_path.split("."):
        if message is None:
            return None
        field = message.fields_by_name.get(name)
        if field is None:
            return None
        singular_message = field.type == FieldDescriptor.TYPE_MESSAGE and not field.is_repeated
        message = field.message_type if singular_message else None
    return field


def _top_level_field(message: Descriptor, name: str, where: str) -> None:
    if name not in message.fields_by_name:
        raise RouteError(f"{where} {name!r} is not a field of {message.full_name}")


def _refuse_conflicts(routes: list[Route]) -> None:
    seen: dict[tuple, Route] = {}
    for route in routes:
        key = (route.http_method, route.template.shape)
        other = seen.setdefault(key, route)
        if other is not route:
            raise RouteError(
                f"{route.http_method} {route.template.text} of {route.rpc.grpc_path} conflicts with "
                f"{other.http_method} {other.template.text} of {other.rpc.grpc_path}"
            )
