"""HTTP request -> request message: body, query parameters and path values, and their 400s."""

import json
from urllib.parse import urlencode

import grpc
import pytest
from google.rpc import error_details_pb2
from starlette.requests import Request

from gateway.errors import GatewayError
from gateway.routing import Resolved, build_route_table
from gateway.transcoding import query_tree, request_message, response_json


@pytest.fixture
def echo_routes(echo_methods):
    return build_route_table(echo_methods)


def http_request(method: str, path: str, query: list[tuple[str, str]] | None = None, body: bytes = b"") -> Request:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(query or []).encode(),
        "headers": [],
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


async def transcode(routes, method: str, path: str, query=None, body=None, max_body_bytes=10_000):
    resolved = routes.resolve(method, path)
    assert isinstance(resolved, Resolved)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    request = http_request(method, path, query, raw)
    return await request_message(resolved.route, request, resolved.path_values, max_body_bytes)


async def violations(routes, method: str, path: str, query=None, body=None) -> dict[str, str]:
    with pytest.raises(GatewayError) as raised:
        await transcode(routes, method, path, query, body)
    status = raised.value.status
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert raised.value.http_status == 400
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    return {violation.field: violation.description for violation in bad_request.field_violations}


async def test_body_star_fills_the_message_and_the_path_sets_its_field(echo_routes):
    message = await transcode(echo_routes, "POST", "/v1/rooms/r1/echoes", body={"text": "hi", "count": 3})

    assert (message.room_id, message.text, message.count) == ("r1", "hi", 3)


async def test_body_accepts_proto_names_and_lower_camel(echo_routes):
    message = await transcode(
        echo_routes,
        "POST",
        "/v1/rooms/r1/echoes",
        body={"near": {"radiusKm": 2.5}, "last_event_id": "e1", "updateMask": "a,bC"},
    )

    assert message.near.radius_km == 2.5
    assert message.last_event_id == "e1"
    assert list(message.update_mask.paths) == ["a", "b_c"]


async def test_body_takes_int64_as_string_or_number_and_enums_by_name_number_or_short_name(echo_routes):
    as_string = await transcode(
        echo_routes, "POST", "/v1/rooms/r/echoes", body={"big": "9007199254740993", "mood": "MOOD_HAPPY"}
    )
    as_number = await transcode(echo_routes, "POST", "/v1/rooms/r/echoes", body={"big": 12, "mood": 2})
    short = await transcode(echo_routes, "POST", "/v1/rooms/r/echoes", body={"mood": "grumpy"})

    assert (as_string.big, as_string.mood) == (9007199254740993, 1)
    assert (as_number.big, as_number.mood) == (12, 2)
    assert short.mood == 2


async def test_an_empty_body_is_an_empty_message(echo_routes):
    message = await transcode(echo_routes, "POST", "/v1/rooms/r1:shout")

    assert message.room_id == "r1"


async def test_null_leaves_a_field_unset(echo_routes):
    message = await transcode(echo_routes, "POST", "/v1/rooms/r/echoes", body={"near": None, "text": None})

    assert not message.HasField("near")
    assert message.text == ""


async def test_malformed_json_is_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body=b'{"text": ')

    assert list(found) == [""]
    assert "not valid JSON" in found[""]


async def test_malformed_json_of_a_body_field_names_the_field(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/notes", body=b"{nope")

    assert list(found) == ["note"]


async def test_a_key_given_twice_is_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body=b'{"text": "a", "text": "b"}')

    assert "appears twice" in found[""]


async def test_both_spellings_of_one_field_are_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body={"last_event_id": "a", "lastEventId": "b"})

    assert found == {"last_event_id": "given more than once"}


async def test_a_body_that_is_not_an_object_is_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body=[1, 2])

    assert "expected a JSON object" in found[""]


async def test_wrong_json_types_name_their_dotted_paths(echo_routes):
    found = await violations(
        echo_routes,
        "POST",
        "/v1/rooms/r/echoes",
        body={
            "count": "many",
            "loud": "yes",
            "near": {"lat": "north"},
            "notes": [{"title": "ok"}, {"title": 5}],
            "tags": "one",
            "at": "yesterday",
            "mood": "SAD",
            "note": 7,
        },
    )

    assert set(found) == {"count", "loud", "near.lat", "notes[1].title", "tags", "at", "mood", "note"}
    assert found["count"].startswith('expected a 32-bit integer, got "many"')
    assert found["mood"].startswith("expected one of MOOD_UNSPECIFIED, MOOD_HAPPY, MOOD_GRUMPY")
    assert found["at"].startswith("expected an RFC 3339 timestamp")
    assert "expected a JSON object" in found["note"]


async def test_an_int32_out_of_range_is_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body={"count": 2**40})

    assert "count" in found


async def test_unknown_fields_are_a_400_at_any_depth(echo_routes):
    found = await violations(
        echo_routes, "POST", "/v1/rooms/r/echoes", body={"nope": 1, "note": {"title": "t", "colour": "red"}}
    )

    assert set(found) == {"nope", "note.colour"}
    assert "unknown field" in found["note.colour"]


async def test_two_members_of_a_oneof_are_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r/echoes", body={"user_id": "u", "group_id": "g"})

    assert "only one of target" in found["group_id"]


async def test_a_path_field_in_a_star_body_is_a_400(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r1/echoes", body={"room_id": "r2"})

    assert found == {"room_id": "set by the URL path"}


async def test_a_body_field_takes_the_body_and_the_rest_comes_from_the_query(echo_routes):
    message = await transcode(echo_routes, "POST", "/v1/rooms/r1/notes", query=[("text", "hello")], body={"title": "T"})

    assert (message.room_id, message.note.title, message.text) == ("r1", "T", "hello")


async def test_query_may_not_set_what_path_or_body_bind(echo_routes):
    found = await violations(
        echo_routes, "POST", "/v1/rooms/r1/notes", query=[("room_id", "r2"), ("note.title", "x")], body={"title": "T"}
    )

    assert found == {"room_id": "set by the URL path", "note": "read from the request body"}


async def test_a_star_body_leaves_nothing_to_the_query(echo_routes):
    found = await violations(echo_routes, "POST", "/v1/rooms/r1/echoes", query=[("text", "x")], body={})

    assert list(found) == ["text"]


async def test_query_parameters_of_every_kind(echo_routes):
    query = [
        ("text", "hi"),
        ("count", "7"),
        ("big", "9007199254740993"),
        ("loud", "TRUE"),
        ("ratio", "0.25"),
        ("mood", "MOOD_GRUMPY"),
        ("tags", "a"),
        ("tags", "b"),
        ("numbers", "1"),
        ("numbers", "2"),
        ("near.lat", "52.52"),
        ("near.radiusKm", "10"),
        ("updateMask", "text,near.lat"),
        ("at", "2024-01-31T12:00:00Z"),
        ("maybe", "false"),
        ("labels[colour]", "red"),
        ("labels[size]", "L"),
        ("min_price", "0"),
        ("user_id", "u1"),
    ]

    message = await transcode(echo_routes, "GET", "/v1/rooms/r1", query=query)

    assert (message.text, message.count, message.big, message.loud, message.ratio) == (
        "hi",
        7,
        9007199254740993,
        True,
        0.25,
    )
    assert message.mood == 2
    assert list(message.tags) == ["a", "b"]
    assert list(message.numbers) == [1, 2]
    assert (message.near.lat, message.near.radius_km) == (52.52, 10)
    assert list(message.update_mask.paths) == ["text", "near.lat"]
    assert message.at.seconds == 1706702400
    assert message.HasField("maybe") and message.maybe.value is False
    assert dict(message.labels) == {"colour": "red", "size": "L"}
    assert message.HasField("min_price") and message.min_price == 0
    assert message.WhichOneof("target") == "user_id"


async def test_query_enums_take_short_names(echo_routes):
    message = await transcode(echo_routes, "GET", "/v1/rooms/r1", query=[("mood", "happy")])

    assert message.mood == 1


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ([("count", "abc")], "count", "expected a 32-bit integer"),
        ([("count", "1.5")], "count", "expected a 32-bit integer"),
        ([("loud", "yes")], "loud", "expected true or false"),
        ([("maybe", "perhaps")], "maybe", "expected true or false"),
        ([("ratio", "x")], "ratio", "expected a number"),
        ([("mood", "SAD")], "mood", "expected one of"),
        ([("big", "1e400")], "big", "64-bit integer"),
        ([("at", "noon")], "at", "RFC 3339"),
        ([("count", "1"), ("count", "2")], "count", "given more than once"),
        ([("nope", "1")], "nope", "unknown field"),
        ([("near.nope", "1")], "near.nope", "unknown field"),
        ([("near", "1")], "near", "is a message"),
        ([("labels", "x")], "labels", "is a map"),
        ([("notes.title", "x")], "notes", "has no sub-fields"),
        ([("text.more", "x")], "text", "has no sub-fields"),
        ([("extra", "x")], "extra", "JSON object"),
        ([("a[b", "x")], "a[b", "not a field path"),
        ([("near.", "x")], "near.", "not a field path"),
        ([("near.lat", "1"), ("near", "2")], "near", "conflicts with"),
        ([("user_id", "u"), ("group_id", "g")], "group_id", "only one of"),
    ],
)
async def test_bad_query_parameters_are_a_400_naming_the_field(echo_routes, query, field, words):
    found = await violations(echo_routes, "GET", "/v1/rooms/r1", query=query)

    assert field in found, found
    assert words in found[field]


async def test_all_bad_parameters_are_reported_together(echo_routes):
    found = await violations(echo_routes, "GET", "/v1/rooms/r1", query=[("count", "x"), ("loud", "x"), ("nope", "x")])

    assert set(found) == {"count", "loud", "nope"}


async def test_path_values_are_parsed_by_their_field_type(echo_routes):
    message = await transcode(echo_routes, "GET", "/v1/notes/n1/counts/42")

    assert (message.note.id, message.count) == ("n1", 42)


async def test_a_path_value_that_does_not_parse_is_a_400(echo_routes):
    found = await violations(echo_routes, "GET", "/v1/notes/n1/counts/many")

    assert list(found) == ["count"]


async def test_a_path_value_that_is_not_utf8_is_a_400(echo_routes):
    found = await violations(echo_routes, "GET", "/v1/rooms/%FF")

    assert list(found) == ["room_id"]


async def test_patch_without_update_mask_updates_the_fields_in_the_body(echo_routes):
    body = {"title": "T", "where": {"lat": 1.0, "radiusKm": 2}, "labels": {"a": "b"}, "createTime": None}

    message = await transcode(echo_routes, "PATCH", "/v1/rooms/r1/notes", body=body)

    assert list(message.update_mask.paths) == ["title", "where.lat", "where.radius_km", "labels", "create_time"]


async def test_patch_keeps_an_update_mask_given_in_the_query(echo_routes):
    message = await transcode(
        echo_routes, "PATCH", "/v1/rooms/r1/notes", query=[("update_mask", "body")], body={"title": "T"}
    )

    assert list(message.update_mask.paths) == ["body"]


def test_query_tree_nests_dotted_names_and_map_keys():
    tree, problems = query_tree([("near.lat", "1"), ("tags", "a"), ("tags", "b"), ("labels[k.x]", "v")])

    assert problems == []
    assert tree == {"near": {"lat": ["1"]}, "tags": ["a", "b"], "labels": {"k.x": ["v"]}}


async def test_response_body_picks_one_field_of_the_reply(echo_routes, echo_pb2):
    route = echo_routes.resolve("GET", "/v1/texts/hi").route
    reply = echo_pb2.EchoReply(request=echo_pb2.EchoRequest(text="hi"))

    assert response_json(route, reply)["text"] == "hi"


async def test_a_nested_path_field_leaves_its_siblings_to_the_query(echo_routes):
    message = await transcode(echo_routes, "GET", "/v1/notes/n1/counts/1", query=[("note.title", "T")])

    assert (message.note.id, message.note.title) == ("n1", "T")


async def test_a_nested_path_field_may_not_come_from_the_query(echo_routes):
    found = await violations(echo_routes, "GET", "/v1/notes/n1/counts/1", query=[("note.id", "n2")])

    assert found == {"note.id": "set by the URL path"}


async def test_a_body_over_the_limit_is_a_413_even_without_content_length(echo_routes):
    with pytest.raises(GatewayError) as raised:
        await transcode(echo_routes, "POST", "/v1/rooms/r1/echoes", body={"text": "x" * 100}, max_body_bytes=50)

    assert raised.value.http_status == 413
    assert raised.value.status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
