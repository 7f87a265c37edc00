"""Path templates: the http.proto grammar, matching, decoding and precedence."""

import pytest

from gateway.templates import SegmentKind, TemplateError, parse_template


def test_a_variable_defaults_to_one_segment():
    template = parse_template("/v1/users/{user_id}")

    assert [segment.kind for segment in template.segments] == [
        SegmentKind.LITERAL,
        SegmentKind.LITERAL,
        SegmentKind.SINGLE,
    ]
    assert template.match("/v1/users/abc") == {"user_id": "abc"}
    assert template.match("/v1/users/abc/more") is None
    assert template.match("/v1/users/") is None
    assert template.match("/v1/users") is None


def test_a_custom_verb_is_split_off_the_last_segment():
    template = parse_template("/v1/listings/{listing_id}:buy")

    assert template.verb == "buy"
    assert template.match("/v1/listings/x:buy") == {"listing_id": "x"}
    assert template.match("/v1/listings/x:cancel") is None
    assert template.match("/v1/listings/x") is None


def test_a_verb_after_a_literal():
    template = parse_template("/v1/sessions:refresh")

    assert template.match("/v1/sessions:refresh") == {}
    assert template.match("/v1/sessions") is None


def test_a_template_without_verb_keeps_a_colon_in_its_value():
    assert parse_template("/v1/users/{user_id}").match("/v1/users/a:b") == {"user_id": "a:b"}


def test_a_variable_with_a_pattern_spans_segments():
    template = parse_template("/v1/{name=shelves/*/books/*}:archive")

    assert template.match("/v1/shelves/s1/books/b2:archive") == {"name": "shelves/s1/books/b2"}
    assert template.match("/v1/shelves/s1/notbooks/b2:archive") is None


def test_double_wildcard_matches_the_rest_including_nothing():
    template = parse_template("/v1/files/{path=**}")

    assert template.match("/v1/files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert template.match("/v1/files") == {"path": ""}


def test_single_segment_values_are_percent_decoded():
    assert parse_template("/v1/users/{user_id}").match("/v1/users/a%20b%2Fc") == {"user_id": "a b/c"}


def test_multi_segment_values_keep_encoded_slashes():
    assert parse_template("/v1/files/{path=**}").match("/v1/files/a%2Fb/c%20d") == {"path": "a%2Fb/c d"}


def test_literals_are_compared_decoded():
    assert parse_template("/v1/users/me").match("/v1/users/%6De") == {}


def test_nested_field_paths_are_variable_names():
    assert parse_template("/v1/{book.name}").match("/v1/x") == {"book.name": "x"}


@pytest.mark.parametrize(
    "text",
    [
        "v1/users",
        "/v1/{user_id",
        "/v1/{a={b}}",
        "/v1/**/more",
        "/v1/{1bad}",
        "/v1/users/{id}/{id}",
        "/v1//users",
        "/v1/users:",
        "/v1/users:a/b",
        "/v1/us{er",
    ],
)
def test_templates_outside_the_grammar_are_refused(text):
    with pytest.raises(TemplateError):
        parse_template(text)


def test_literals_come_before_variables_and_verbs_before_plain_paths():
    texts = ["/v1/users/{user_id}", "/v1/users/me", "/v1/{x}/me", "/v1/users/{user_id}:ban", "/v1/users/{path=**}"]

    ordered = sorted((parse_template(text) for text in texts), key=lambda template: template.precedence)

    assert [template.text for template in ordered] == [
        "/v1/users/me",
        "/v1/users/{user_id}:ban",
        "/v1/users/{user_id}",
        "/v1/users/{path=**}",
        "/v1/{x}/me",
    ]


def test_shape_ignores_variable_names():
    assert parse_template("/v1/users/{a}").shape == parse_template("/v1/users/{b}").shape
    assert parse_template("/v1/users/{a}").shape != parse_template("/v1/users/{a}:ban").shape
