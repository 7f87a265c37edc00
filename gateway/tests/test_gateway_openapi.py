"""The OpenAPI document, derived from the same descriptors as the routes."""

import pytest

from gateway.comments import load_comments
from gateway.descriptors import load_methods
from gateway.openapi import build_openapi, openapi_path
from gateway.routing import build_route_table
from gateway.templates import parse_template

ECHO = "#/components/schemas/gwtest.echo.v1."


@pytest.fixture
def echo_document(echo_methods):
    return build_openapi(build_route_table(echo_methods))


@pytest.fixture
def described_echo_document(echo_methods):
    return build_openapi(build_route_table(echo_methods), load_comments("gwtest"))


@pytest.fixture(scope="module")
def marketplace_document():
    return build_openapi(build_route_table(load_methods("marketplace")), load_comments("marketplace"))


def refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def parameters(operation) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def test_every_route_is_an_operation_with_a_unique_id(echo_methods, echo_document):
    routes = build_route_table(echo_methods).routes
    operations = [echo_document["paths"][openapi_path(route.template)][route.http_method.lower()] for route in routes]

    assert len({operation["operationId"] for operation in operations}) == len(routes)
    assert "EchoService_Inspect_1" in {operation["operationId"] for operation in operations}


def test_every_reference_resolves(echo_document, marketplace_document):
    for document in (echo_document, marketplace_document):
        for ref in refs(document):
            _, kind, name = ref.removeprefix("#/").split("/")
            assert name in document["components"][kind], ref


def test_public_methods_have_no_security_and_others_need_a_bearer_token(echo_document):
    assert "security" not in echo_document["paths"]["/v1/rooms/{room_id}/echoes"]["post"]
    assert echo_document["paths"]["/v1/rooms/{room_id}"]["get"]["security"] == [{"bearerAuth": []}]
    assert echo_document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_internal_methods_are_left_out(echo_document):
    operation_ids = {op["operationId"] for path in echo_document["paths"].values() for op in path.values()}

    assert not any("Internal" in operation_id for operation_id in operation_ids)


def test_path_parameters_are_required_and_typed(echo_document):
    found = parameters(echo_document["paths"]["/v1/notes/{note.id}/counts/{count}"]["get"])

    assert found["note.id"] == {
        "name": "note.id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert found["count"]["schema"] == {"type": "integer", "format": "int32"}


def test_query_parameters_are_every_input_field_the_path_does_not_bind(echo_document):
    found = parameters(echo_document["paths"]["/v1/rooms/{room_id}"]["get"])

    assert found["room_id"]["in"] == "path"
    assert {name for name, parameter in found.items() if parameter["in"] == "query"} == {
        "text", "count", "big", "loud", "ratio", "mood", "tags", "numbers", "near.lat", "near.lng", "near.radius_km",
        "note.title", "note.body", "note.where.lat", "note.where.lng", "note.where.radius_km",
        "note.labels", "update_mask", "at", "maybe", "labels", "min_price", "user_id",
        "group_id", "path", "last_event_id",
    }  # fmt: skip
    assert found["tags"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert found["mood"]["schema"] == {"$ref": ECHO + "Mood"}
    assert found["labels"]["style"] == "deepObject"
    assert found["big"]["schema"] == {"type": "string", "format": "int64"}


def test_a_body_field_is_the_request_body_and_not_a_query_parameter(echo_document):
    operation = echo_document["paths"]["/v1/rooms/{room_id}/notes"]["post"]

    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": ECHO + "Note"}
    assert not any(name.startswith("note") for name in parameters(operation))
    assert "text" in parameters(operation)


def test_a_star_body_leaves_out_path_fields_and_has_no_query(echo_document):
    operation = echo_document["paths"]["/v1/rooms/{room_id}/echoes"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]

    assert "room_id" not in schema["properties"]
    assert "text" in schema["properties"]
    assert [parameter["in"] for parameter in operation["parameters"]] == ["path"]


def test_a_patch_body_requires_nothing(echo_document):
    operation = echo_document["paths"]["/v1/rooms/{room_id}/notes"]["patch"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]

    assert schema["type"] == "object" and "title" in schema["properties"]
    assert "required" not in schema


def test_message_schemas_carry_field_behavior_and_well_known_types(echo_document):
    schemas = echo_document["components"]["schemas"]
    note = schemas["gwtest.echo.v1.Note"]
    request = schemas["gwtest.echo.v1.EchoRequest"]

    assert note["required"] == ["title"]
    assert note["properties"]["id"] == {"type": "string", "readOnly": True}
    assert note["properties"]["create_time"] == {"type": "string", "format": "date-time", "readOnly": True}
    assert note["properties"]["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    assert schemas["gwtest.echo.v1.Mood"]["enum"] == ["MOOD_UNSPECIFIED", "MOOD_HAPPY", "MOOD_GRUMPY"]
    assert request["properties"]["update_mask"]["type"] == "string"
    assert request["properties"]["extra"] == {"type": "object", "additionalProperties": True}
    assert request["properties"]["maybe"] == {"type": "boolean"}
    assert request["properties"]["notes"] == {"type": "array", "items": {"$ref": ECHO + "Note"}}
    assert request["properties"]["min_price"] == {"type": "string", "format": "int64"}


def test_the_error_shape_is_every_operations_default_response(echo_document):
    error = echo_document["components"]["schemas"]["Error"]

    assert set(error["required"]) == {"code", "status", "message", "details"}
    assert error["properties"]["details"]["items"]["required"] == ["@type"]
    for path in echo_document["paths"].values():
        for operation in path.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


def test_a_server_stream_is_described_as_an_event_stream(echo_document):
    response = echo_document["paths"]["/v1/rooms/{room_id}/events"]["get"]["responses"]["200"]

    assert list(response["content"]) == ["text/event-stream"]
    assert response["content"]["text/event-stream"]["x-event-data"] == {"$ref": ECHO + "Event"}


def test_response_body_narrows_the_response_schema(echo_document):
    response = echo_document["paths"]["/v1/texts/{text}"]["get"]["responses"]["200"]

    assert response["content"]["application/json"]["schema"] == {"$ref": ECHO + "EchoRequest"}


def test_openapi_paths_drop_variable_patterns():
    assert openapi_path(parse_template("/v1/{name=shelves/*/books/*}:archive")) == "/v1/{name}:archive"
    assert openapi_path(parse_template("/v1/files/{path=**}")) == "/v1/files/{path}"


def test_the_marketplace_document_marks_public_methods(marketplace_document):
    paths = marketplace_document["paths"]

    assert marketplace_document["openapi"] == "3.0.3"
    assert "security" not in paths["/v1/users"]["post"]
    assert "security" not in paths["/v1/sessions"]["post"]
    assert "security" not in paths["/v1/users/{user_id}"]["get"]
    assert paths["/v1/users/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert paths["/v1/listings/{listing_id}:buy"]["post"]["operationId"] == "TradingService_BuyListing"


def test_the_marketplace_document_describes_money(marketplace_document):
    money = marketplace_document["components"]["schemas"]["marketplace.common.v1.Money"]

    assert money["description"] == "An exact amount of money: integer minor units of an ISO 4217 currency."
    assert money["properties"] == {
        "currency": {"type": "string", "description": 'The ISO 4217 currency code, such as "USD" or "EUR".'},
        "amount_minor": {
            "type": "string",
            "format": "int64",
            "description": "The amount in the currency's minor unit (cents for USD); never a float.",
        },
    }
    assert money["required"] == ["currency"]


def test_operations_are_described_by_their_rpcs_comments(described_echo_document):
    operation = described_echo_document["paths"]["/v1/failures"]["post"]

    assert operation["summary"] == "Fails with the gRPC code in `count`, the message in `text`, and rich details."
    assert operation["description"].startswith("Fails with the gRPC code")
    assert operation["description"].endswith("gRPC `/gwtest.echo.v1.EchoService/Fail`.")


def test_fields_and_parameters_are_described_by_their_comments(described_echo_document):
    schemas = described_echo_document["components"]["schemas"]
    point = schemas["gwtest.echo.v1.Point"]
    query = parameters(described_echo_document["paths"]["/v1/rooms/{room_id}"]["get"])

    assert point["description"] == "A point with a radius."
    assert point["properties"]["lat"] == {"type": "number", "format": "double", "description": "Degrees north."}
    assert query["near.lat"]["description"] == "Degrees north."


def test_enum_values_are_listed_with_their_comments(described_echo_document):
    mood = described_echo_document["components"]["schemas"]["gwtest.echo.v1.Mood"]

    assert mood["enum"] == ["MOOD_UNSPECIFIED", "MOOD_HAPPY", "MOOD_GRUMPY"]
    assert (
        mood["description"]
        == "A mood, to test enums.\n\n- `MOOD_UNSPECIFIED`: Unset.\n- `MOOD_HAPPY`: Happy.\n- `MOOD_GRUMPY`: Grumpy."
    )


def test_a_described_reference_keeps_the_reference_under_all_of(described_echo_document):
    request = described_echo_document["components"]["schemas"]["gwtest.echo.v1.EchoRequest"]

    assert request["properties"]["mood"]["allOf"] == [{"$ref": ECHO + "Mood"}]
    assert "description" in request["properties"]["mood"]


def test_every_operation_lists_the_error_responses_and_bodies_may_be_too_large(echo_document):
    responses = echo_document["components"]["responses"]
    with_body = echo_document["paths"]["/v1/rooms/{room_id}/echoes"]["post"]["responses"]
    without_body = echo_document["paths"]["/v1/rooms/{room_id}"]["get"]["responses"]

    assert set(without_body) == {"200", "400", "401", "403", "404", "409", "429", "503", "default"}
    assert set(with_body) == set(without_body) | {"413"}
    assert with_body["429"] == {"$ref": "#/components/responses/TooManyRequests"}
    assert responses["TooManyRequests"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert set(responses["TooManyRequests"]["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
    assert set(responses["Unavailable"]["headers"]) == {"Retry-After"}


def test_the_marketplace_document_carries_the_proto_comments(marketplace_document):
    buy = marketplace_document["paths"]["/v1/listings/{listing_id}:buy"]["post"]
    status = marketplace_document["components"]["schemas"]["marketplace.trading.v1.ListingStatus"]

    assert buy["summary"].startswith("Buys the listing at its price")
    assert "Repeating a request_id repeats nothing." in buy["description"]
    assert "LISTING_STATUS_SOLD" in status["enum"]
    assert "- `LISTING_STATUS_SOLD`: " in status["description"]
    assert buy["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}
