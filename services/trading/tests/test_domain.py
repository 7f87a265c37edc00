from servicekit.errors import FieldViolation
from trading.domain import MAX_TITLE, validate_listing


def test_a_title_is_trimmed():
    assert validate_listing("  Lamp  ", "", []) == ("Lamp", "")


def test_a_blank_or_long_title_and_a_long_description_are_each_reported():
    violations: list[FieldViolation] = []
    validate_listing(" ", "x" * 10_001, violations)
    validate_listing("x" * (MAX_TITLE + 1), "", violations)
    assert [v.field for v in violations] == ["listing.title", "listing.description", "listing.title"]
