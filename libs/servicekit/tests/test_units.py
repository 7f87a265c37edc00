"""The kit's pure parts: pagination tokens, required fields, enums, money, locations, errors, timestamps."""

import enum
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from geoalchemy2 import WKBElement
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import code_pb2, error_details_pb2

from marketplace.catalog.v1 import catalog_service_pb2, resources_pb2
from marketplace.common.v1 import location_pb2, money_pb2
from marketplace.trading.v1 import resources_pb2 as trading_resources
from servicekit import enums
from servicekit.convert import timestamp
from servicekit.errors import FieldViolation, InvalidArgument, NotFound, rich_status
from servicekit.geo import check_location, point_from_wkb
from servicekit.idempotency import Once
from servicekit.ids import parse_id
from servicekit.money import check_money
from servicekit.pagination import MAX_PAGE_SIZE, decode_token, encode_token, page_request, page_result
from servicekit.urls import MAX_URL, url_violation
from servicekit.validation import missing_required


def test_a_page_token_round_trips_times_and_ids():
    key = (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4(), "name", 7)
    assert decode_token(encode_token(key)) == key


def test_a_tampered_page_token_is_an_invalid_argument_on_page_token():
    with pytest.raises(InvalidArgument) as err:
        page_request(10, "not-a-token!")
    assert err.value.violations[0].field == "page_token"


def test_page_sizes_default_and_are_capped():
    assert page_request(0, "").size == 20
    assert page_request(1000, "").size == MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument):
        page_request(-1, "")


def test_a_full_page_carries_the_key_of_its_last_row():
    page = page_request(2, "")
    rows, token = page_result([1, 2, 3], page, key=lambda row: (row,))
    assert rows == [1, 2] and decode_token(token) == (2,)
    assert page_result([1, 2], page, key=lambda row: (row,)) == ([1, 2], "")


def test_required_fields_are_found_in_nested_messages():
    request = catalog_service_pb2.CreateGameRequest(game=resources_pb2.Game(description="x"))
    assert [v.field for v in missing_required(request)] == ["game.name"]
    assert [v.field for v in missing_required(catalog_service_pb2.CreateGameRequest())] == ["game"]


def test_an_update_requires_only_the_fields_its_mask_names():
    request = catalog_service_pb2.UpdateGameRequest(
        game_id="x",
        game=resources_pb2.Game(description="y"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
    )
    assert missing_required(request) == []
    request.update_mask.paths.append("name")
    assert [v.field for v in missing_required(request)] == ["game.name"]


class Condition(enum.StrEnum):
    """A domain enum shaped like trading's: members named as the proto values without prefix."""

    NEW = "new"
    LIKE_NEW = "like_new"


def test_proto_enums_map_to_domain_enums_both_ways():
    assert enums.to_proto(trading_resources.Condition, Condition.LIKE_NEW) == trading_resources.CONDITION_LIKE_NEW
    violations: list[FieldViolation] = []
    value = enums.from_proto(
        trading_resources.Condition, Condition, trading_resources.CONDITION_LIKE_NEW, "condition", violations
    )
    assert value is Condition.LIKE_NEW
    assert enums.from_proto(trading_resources.Condition, Condition, 0, "condition", violations) is None
    assert enums.from_proto(trading_resources.Condition, Condition, 99, "condition", violations) is None
    assert [v.field for v in violations] == ["condition"]


def test_money_needs_an_iso_code_and_a_positive_amount():
    violations: list[FieldViolation] = []
    assert check_money("price", money_pb2.Money(currency="USD", amount_minor=1), violations).amount_minor == 1
    assert check_money("price", money_pb2.Money(currency="usd", amount_minor=0), violations) is None
    assert {v.field for v in violations} == {"price.currency", "price.amount_minor"}


def test_locations_are_checked_and_read_back_from_ewkb():
    violations: list[FieldViolation] = []
    assert check_location("at", location_pb2.Location(latitude=-91, longitude=181), violations) is None
    assert {v.field for v in violations} == {"at.latitude", "at.longitude"}
    # What PostGIS 3.3 returns for ST_AsEWKB('SRID=4326;POINT(13.405 52.52)'::geography::geometry)
    ewkb = bytes.fromhex("0101000020E61000008FC2F5285CCF2A40C3F5285C8F424A40")
    point = point_from_wkb(WKBElement(ewkb, srid=4326))
    assert (round(point.latitude, 3), round(point.longitude, 3)) == (52.52, 13.405)


def test_a_bad_uuid_names_its_field():
    with pytest.raises(InvalidArgument) as err:
        parse_id("game_id", "nope")
    assert err.value.violations == [FieldViolation("game_id", "'nope' is not a UUID")]


def test_a_rich_status_carries_the_reason_and_every_violation():
    status = rich_status(
        InvalidArgument([FieldViolation("a", "bad"), FieldViolation("b", "worse")]), "catalog.marketplace"
    )
    info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    assert status.code == code_pb2.INVALID_ARGUMENT
    assert status.details[0].Unpack(info) and info.reason == "INVALID_ARGUMENT"
    assert status.details[1].Unpack(bad_request)
    assert [v.field for v in bad_request.field_violations] == ["a", "b"]
    assert rich_status(NotFound("gone"), "x").code == code_pb2.NOT_FOUND


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.example/a.png",
        "http://",
        "https://x.example/a b.png",
        "data:xyz",
        "https://x.example/\n",
        "https://x.example/" + "a" * MAX_URL,
    ],
)
def test_a_link_is_a_bounded_printable_http_url(url):
    assert url_violation("logo_url", url).field == "logo_url"


def test_a_good_link_or_none_at_all_passes():
    assert url_violation("logo_url", "https://cdn.example.com/a.png") is None
    assert url_violation("logo_url", "") is None


def test_a_timestamp_is_made_as_protobuf_makes_it_from_a_datetime():
    times = [
        datetime(2026, 12, 2, 16, 1, 2, 345678, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),  # before the epoch: seconds down, nanos up
        datetime(2026, 12, 2, 18, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1, 1, 1),  # naive: taken as UTC
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for time in times:
        expected = Timestamp()
        expected.FromDatetime(time)
        assert timestamp(time) == expected, time
    assert timestamp(None) is None


def test_the_response_to_a_keyed_write_is_made_once_for_its_result():
    made = []

    def respond(result: tuple[int]) -> money_pb2.Money:
        made.append(result)
        return money_pb2.Money(currency="USD", amount_minor=result[0])

    once = Once("key", "anonymous", "hash", respond)
    result = (5,)
    assert once.response(result) is once.response(result)
    assert made == [result]
    assert once.response((6,)).amount_minor == 6
