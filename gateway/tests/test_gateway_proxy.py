"""Through a real uvicorn to a real grpc.aio backend: JSON in and out, forwarding, errors."""

import uuid

import grpc
import pytest

from gateway.errors import HTTP_STATUS

BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


async def test_json_out_uses_proto_names_and_keeps_fields_without_presence(gateway):
    response = await gateway.post("/v1/rooms/r1/echoes", json={"lastEventId": "e1", "big": 5, "mood": "MOOD_HAPPY"})

    assert response.status_code == 200
    echoed = response.json()["request"]
    assert echoed["last_event_id"] == "e1"
    assert echoed["big"] == "5"  # int64 as a string, as the canonical mapping writes it
    assert echoed["mood"] == "MOOD_HAPPY"
    assert echoed["count"] == 0 and echoed["tags"] == [] and echoed["labels"] == {}
    assert "near" not in echoed  # a message field has presence: absent when unset
    assert "min_price" not in echoed  # so has an optional scalar


async def test_query_and_path_reach_the_backend(gateway):
    response = await gateway.get(
        "/v1/rooms/r%201", params=[("tags", "a"), ("tags", "b"), ("near.lat", "1.5"), ("loud", "true")]
    )

    assert response.status_code == 200
    echoed = response.json()["request"]
    assert echoed["room_id"] == "r 1"
    assert echoed["tags"] == ["a", "b"]
    assert echoed["near"]["lat"] == 1.5
    assert echoed["loud"] is True


async def test_a_literal_path_wins_over_a_variable(gateway):
    lobby = await gateway.get("/v1/rooms/lobby")
    room = await gateway.get("/v1/rooms/lobbyist")

    assert lobby.json()["request"]["room_id"] == ""
    assert room.json()["request"]["room_id"] == "lobbyist"


async def test_custom_verb(gateway):
    response = await gateway.post("/v1/rooms/r1:shout", json={"text": "HEY"})

    assert response.status_code == 200
    assert response.json()["request"] | {"room_id": "r1", "text": "HEY"} == response.json()["request"]


async def test_patch_fills_the_update_mask(gateway):
    response = await gateway.patch("/v1/rooms/r1/notes", json={"title": "T", "where": {"lat": 1}})

    assert response.json()["request"]["update_mask"] == "title,where.lat"


async def test_response_body_is_the_named_field(gateway):
    response = await gateway.get("/v1/texts/hello")

    assert response.json()["text"] == "hello"
    assert "request" not in response.json()


async def test_authorization_and_request_id_are_forwarded_and_the_id_echoed(gateway):
    response = await gateway.get("/v1/rooms/r1", headers={"Authorization": "Bearer abc", "X-Request-Id": "req-42"})

    assert response.json()["metadata"] == {"authorization": "Bearer abc", "x-request-id": "req-42"}
    assert response.headers["x-request-id"] == "req-42"


async def test_a_request_id_is_made_when_absent(gateway):
    response = await gateway.get("/v1/rooms/r1")

    made = response.headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    assert response.json()["metadata"] == {"x-request-id": made}


async def test_an_authorization_header_grpc_cannot_carry_is_a_401(gateway):
    response = await gateway.get("/v1/rooms/r1", headers=[("Authorization", "Bearer caf\u00e9".encode("latin-1"))])

    assert response.status_code == 401
    assert response.json()["status"] == "UNAUTHENTICATED"


async def test_a_bad_request_is_a_400_with_field_violations_never_a_500(gateway):
    response = await gateway.post("/v1/rooms/r1/echoes", content=b'{"near": {"lat": "north"}, "nope": 1')

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 3 and body["status"] == "INVALID_ARGUMENT"
    assert body["details"][0]["@type"] == BAD_REQUEST_TYPE
    assert body["details"][0]["field_violations"][0]["field"] == ""

    response = await gateway.post("/v1/rooms/r1/echoes", json={"near": {"lat": "north"}, "nope": 1})
    fields = [violation["field"] for violation in response.json()["details"][0]["field_violations"]]
    assert response.status_code == 400
    assert fields == ["near.lat", "nope"]


async def test_a_bad_query_value_and_a_bad_path_value_are_400s(gateway):
    query = await gateway.get("/v1/rooms/r1", params={"count": "lots"})
    path = await gateway.get("/v1/notes/n1/counts/lots")

    assert query.status_code == path.status_code == 400
    assert query.json()["details"][0]["field_violations"][0]["field"] == "count"
    assert path.json()["details"][0]["field_violations"][0]["field"] == "count"


@pytest.mark.parametrize("code", [code for code in grpc.StatusCode if code is not grpc.StatusCode.OK])
async def test_backend_status_codes_map_to_http_with_rich_details(gateway, code):
    number, name = code.value[0], code.name

    response = await gateway.post("/v1/failures", json={"count": number, "text": f"failed with {name}"})

    assert response.status_code == HTTP_STATUS.get(code, 500)
    body = response.json()
    assert body["code"] == number
    assert body["status"] == name
    assert body["message"] == f"failed with {name}"
    assert body["details"] == [
        {"@type": BAD_REQUEST_TYPE, "field_violations": [{"field": "text", "description": "too rude", "reason": ""}]},
        {"@type": ERROR_INFO_TYPE, "reason": "ECHO_REFUSED", "domain": "echo.test", "metadata": {}},
    ]


@pytest.mark.parametrize(
    ("code", "http_status"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.OUT_OF_RANGE, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.CANCELLED, 499),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.DATA_LOSS, 500),
    ],
)
def test_the_status_table(code, http_status):
    assert HTTP_STATUS.get(code, 500) == http_status


async def test_an_unknown_path_is_a_404_in_the_error_shape(gateway):
    response = await gateway.get("/v1/nowhere")

    assert response.status_code == 404
    assert response.json() == {"code": 5, "status": "NOT_FOUND", "message": "no route for /v1/nowhere", "details": []}
    assert response.headers["x-request-id"]


async def test_a_known_path_with_another_method_is_a_405(gateway):
    response = await gateway.put("/v1/rooms/r1")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"
    assert response.json()["status"] == "UNIMPLEMENTED"


async def test_every_backend_call_has_a_deadline(gateway):
    response = await gateway.get("/v1/sleep", params={"count": "3000"})

    assert response.status_code == 504
    assert response.json()["status"] == "DEADLINE_EXCEEDED"


async def test_an_unreachable_backend_is_a_503(gateway_without_backend):
    response = await gateway_without_backend.get("/v1/rooms/r1")

    assert response.status_code == 503
    assert response.json()["status"] == "UNAVAILABLE"
