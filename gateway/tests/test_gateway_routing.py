"""The route table: built from the real generated descriptors, and refused when a rule cannot be served."""

import pytest
from google.api import http_pb2

from gateway.descriptors import Access, RpcMethod, load_methods
from gateway.routing import MethodNotAllowed, Resolved, RouteError, build_route_table

# API.md's public surface: every one of these must reach an RPC.
PUBLIC_SURFACE = [
    ("POST", "/v1/users"),
    ("POST", "/v1/sessions"),
    ("POST", "/v1/sessions:refresh"),
    ("GET", "/v1/users/me"),
    ("PATCH", "/v1/users/me"),
    ("GET", "/v1/users/u1"),
    ("GET", "/v1/wallets/me"),
    ("POST", "/v1/wallets/me:deposit"),
    ("GET", "/v1/wallets/me/entries"),
    ("POST", "/v1/verifications"),
    ("POST", "/v1/verifications/v1:approve"),
    ("POST", "/v1/verifications/v1:reject"),
    ("GET", "/v1/games"),
    ("POST", "/v1/games"),
    ("GET", "/v1/games/g1"),
    ("PATCH", "/v1/games/g1"),
    ("DELETE", "/v1/games/g1"),
    ("GET", "/v1/games/g1/categories"),
    ("POST", "/v1/games/g1/categories"),
    ("GET", "/v1/categories/c1"),
    ("PATCH", "/v1/categories/c1"),
    ("DELETE", "/v1/categories/c1"),
    ("GET", "/v1/categories/c1/attributes"),
    ("POST", "/v1/categories/c1/attributes"),
    ("PATCH", "/v1/attributes/a1"),
    ("DELETE", "/v1/attributes/a1"),
    ("GET", "/v1/categories/c1/templates"),
    ("POST", "/v1/categories/c1/templates"),
    ("GET", "/v1/templates/t1"),
    ("POST", "/v1/items"),
    ("GET", "/v1/items/i1"),
    ("GET", "/v1/users/me/items"),
    ("POST", "/v1/listings"),
    ("GET", "/v1/listings"),
    ("GET", "/v1/listings/l1"),
    ("PATCH", "/v1/listings/l1"),
    ("POST", "/v1/listings/l1:cancel"),
    ("POST", "/v1/listings/l1:buy"),
    ("POST", "/v1/listings/l1/offers"),
    ("GET", "/v1/listings/l1/offers"),
    ("POST", "/v1/offers/o1:accept"),
    ("POST", "/v1/offers/o1:reject"),
    ("POST", "/v1/offers/o1:cancel"),
    ("POST", "/v1/offers/o1:counter"),
    ("GET", "/v1/transactions/t1"),
    ("GET", "/v1/users/me/transactions"),
    ("POST", "/v1/transactions/t1:confirm"),
    ("POST", "/v1/transactions/t1:refund"),
    ("GET", "/v1/streams"),
    ("POST", "/v1/streams"),
    ("POST", "/v1/streams/s1:start"),
    ("POST", "/v1/streams/s1:end"),
    ("POST", "/v1/conversations"),
    ("GET", "/v1/conversations"),
    ("GET", "/v1/conversations/c1/messages"),
    ("POST", "/v1/conversations/c1/messages"),
    ("POST", "/v1/conversations/c1:markRead"),
    ("POST", "/v1/conversations/c1:archive"),
    ("POST", "/v1/conversations/c1:unarchive"),
    ("GET", "/v1/events"),
]


@pytest.fixture(scope="module")
def marketplace_methods() -> list[RpcMethod]:
    return load_methods("marketplace")


@pytest.fixture(scope="module")
def marketplace_routes(marketplace_methods):
    return build_route_table(marketplace_methods)


def resolve(routes, method, path) -> Resolved:
    resolved = routes.resolve(method, path)
    assert isinstance(resolved, Resolved), f"{method} {path} -> {resolved}"
    return resolved


@pytest.mark.parametrize(("method", "path"), PUBLIC_SURFACE)
def test_every_public_path_reaches_an_rpc(marketplace_routes, method, path):
    resolve(marketplace_routes, method, path)


def test_me_is_a_literal_that_wins_over_the_user_id_variable(marketplace_routes):
    assert resolve(marketplace_routes, "GET", "/v1/users/me").route.rpc.name == "GetMe"

    other = resolve(marketplace_routes, "GET", "/v1/users/abc")
    assert other.route.rpc.name == "GetUser"
    assert other.path_values == {"user_id": "abc"}
    assert other.route.rpc.access == Access.ACCESS_PUBLIC


def test_a_custom_verb_reaches_its_rpc_with_the_path_value(marketplace_routes):
    resolved = resolve(marketplace_routes, "POST", "/v1/listings/x:buy")

    assert resolved.route.rpc.name == "BuyListing"
    assert resolved.path_values == {"listing_id": "x"}
    assert resolved.route.rpc.context == "trading"


def test_a_verb_on_a_literal_path(marketplace_routes):
    assert resolve(marketplace_routes, "POST", "/v1/wallets/me:deposit").route.rpc.name == "DepositFunds"
    assert resolve(marketplace_routes, "GET", "/v1/wallets/me").route.rpc.name == "GetMyWallets"
    assert resolve(marketplace_routes, "POST", "/v1/sessions:refresh").route.rpc.name == "RefreshSession"
    assert resolve(marketplace_routes, "POST", "/v1/sessions").route.rpc.name == "CreateSession"


def test_contexts_come_from_the_package(marketplace_routes):
    contexts = {route.rpc.context for route in marketplace_routes.routes}

    assert contexts == {"catalog", "accounts", "trading", "messaging"}


def test_a_path_known_only_for_other_methods_is_not_allowed(marketplace_routes):
    assert marketplace_routes.resolve("DELETE", "/v1/users/me") == MethodNotAllowed(("GET", "PATCH"))
    assert marketplace_routes.resolve("GET", "/v1/nothing/here") is None


def test_internal_methods_and_methods_without_rules_are_not_routed(marketplace_methods, marketplace_routes):
    routed = {route.rpc.grpc_path for route in marketplace_routes.routes}
    internal = [method for method in marketplace_methods if method.access == Access.ACCESS_INTERNAL]

    assert internal, "the contracts declare internal methods"
    assert not routed & {method.grpc_path for method in internal}
    assert routed == {method.grpc_path for method in marketplace_methods if method.http_rule is not None}


def test_every_rule_and_additional_binding_becomes_a_route(marketplace_methods, marketplace_routes):
    bindings = sum(1 + len(m.http_rule.additional_bindings) for m in marketplace_methods if m.http_rule is not None)

    assert len(marketplace_routes.routes) == bindings


def echo_method(
    echo_pb2, rule: http_pb2.HttpRule, name: str = "Inspect", access: int = Access.ACCESS_USER
) -> RpcMethod:
    descriptor = echo_pb2.DESCRIPTOR.services_by_name["EchoService"].methods_by_name[name]
    return RpcMethod(descriptor=descriptor, access=access, http_rule=rule)


def test_additional_bindings_are_routes_too(echo_methods):
    routes = build_route_table(echo_methods)

    resolved = resolve(routes, "GET", "/v1/files/a/b")
    assert resolved.route.rpc.name == "Inspect"
    assert resolved.route.binding == 1
    assert resolved.path_values == {"path": "a/b"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (http_pb2.HttpRule(get="/v1/rooms", body="*"), "cannot have a body"),
        (http_pb2.HttpRule(delete="/v1/rooms/{room_id}", body="note"), "cannot have a body"),
        (http_pb2.HttpRule(get="/v1/rooms/{nope}"), "names no field"),
        (http_pb2.HttpRule(get="/v1/rooms/{near.nope}"), "names no field"),
        (http_pb2.HttpRule(get="/v1/rooms/{near}"), "single scalar field"),
        (http_pb2.HttpRule(get="/v1/rooms/{tags}"), "single scalar field"),
        (http_pb2.HttpRule(post="/v1/rooms", body="nope"), "is not a field"),
        (http_pb2.HttpRule(get="/v1/rooms", response_body="nope"), "is not a field"),
        (http_pb2.HttpRule(get="v1/rooms"), "must start with '/'"),
        (http_pb2.HttpRule(body="*"), "no method and path"),
        (
            http_pb2.HttpRule(
                get="/v1/a",
                additional_bindings=[
                    http_pb2.HttpRule(get="/v1/b", additional_bindings=[http_pb2.HttpRule(get="/v1/c")])
                ],
            ),
            "nest one level",
        ),
    ],
)
def test_rules_that_cannot_be_served_stop_start_up(echo_pb2, rule, message):
    with pytest.raises(RouteError, match=message):
        build_route_table([echo_method(echo_pb2, rule)])


def test_conflicting_routes_stop_start_up(echo_pb2):
    first = echo_method(echo_pb2, http_pb2.HttpRule(get="/v1/rooms/{room_id}"), "Inspect")
    second = echo_method(echo_pb2, http_pb2.HttpRule(get="/v1/rooms/{text}"), "GetLobby")

    with pytest.raises(RouteError, match="conflicts with"):
        build_route_table([first, second])


def test_same_path_with_other_methods_is_no_conflict(echo_pb2):
    get = echo_method(echo_pb2, http_pb2.HttpRule(get="/v1/rooms/{room_id}"), "Inspect")
    delete = echo_method(echo_pb2, http_pb2.HttpRule(delete="/v1/rooms/{room_id}"), "DeleteRoom")

    assert len(build_route_table([get, delete]).routes) == 2


def test_an_internal_method_with_a_rule_stops_start_up(echo_pb2):
    method = echo_method(echo_pb2, http_pb2.HttpRule(get="/v1/internal"), "Internal", access=Access.ACCESS_INTERNAL)

    with pytest.raises(RouteError, match="ACCESS_INTERNAL"):
        build_route_table([method])


def test_custom_methods_use_their_kind(echo_pb2):
    rule = http_pb2.HttpRule(custom=http_pb2.CustomHttpPattern(kind="HEAD", path="/v1/rooms/{room_id}"))

    routes = build_route_table([echo_method(echo_pb2, rule)])

    assert resolve(routes, "HEAD", "/v1/rooms/r").route.rpc.name == "Inspect"


def test_routes_grouped_by_their_first_literals_still_meet_wildcards_and_encoded_paths(echo_pb2):
    rooms = echo_method(echo_pb2, http_pb2.HttpRule(get="/v1/rooms/{room_id}"), "Inspect")
    anything = echo_method(echo_pb2, http_pb2.HttpRule(get="/{text}/lobby"), "GetLobby")
    top = echo_method(echo_pb2, http_pb2.HttpRule(post="/v1:ping", body="*"), "DeleteRoom")
    routes = build_route_table([rooms, anything, top])

    assert resolve(routes, "GET", "/v1/rooms/r").route.rpc.name == "Inspect"
    # A literal may come percent-encoded; it is the same segment.
    assert resolve(routes, "GET", "/v1/r%6Foms/r").route.rpc.name == "Inspect"
    # A wildcard first segment fits under any first literal, and under none.
    assert resolve(routes, "GET", "/v1/lobby").path_values == {"text": "v1"}
    assert resolve(routes, "GET", "/other/lobby").path_values == {"text": "other"}
    assert resolve(routes, "POST", "/v1:ping").route.rpc.name == "DeleteRoom"
    assert routes.resolve("GET", "/v1/rooms/r/more") is None
    assert routes.resolve("DELETE", "/v1/rooms/r") == MethodNotAllowed(("GET",))
