"""The pure rules: values against definitions, filters, narrowing, update masks."""

import uuid

import pytest

from catalog.domain.attributes import Attribute, AttributeType, Narrowing, narrowing
from catalog.domain.games import GAME_MASK, GameFields
from catalog.domain.values import validate_values
from catalog.seed_data import CATALOG
from servicekit.errors import InvalidArgument
from servicekit.filters import parse_filters
from servicekit.masks import apply_mask
from servicekit.values import Unsupported

WEAR = Attribute(
    "wear", AttributeType.NUMBER, id=uuid.uuid4(), required=True, min_value=0, max_value=1, filterable=True
)
RARITY = Attribute(
    "rarity", AttributeType.ENUM, id=uuid.uuid4(), allowed_values=("Covert", "Classified"), filterable=True
)
STATTRAK = Attribute("stattrak", AttributeType.BOOLEAN, id=uuid.uuid4(), filterable=True)
PATTERN = Attribute("pattern_index", AttributeType.INTEGER, id=uuid.uuid4(), min_value=0, max_value=999)
TAG = Attribute("tag", AttributeType.STRING, id=uuid.uuid4(), max_length=3)
SPECS = [WEAR, RARITY, STATTRAK, PATTERN, TAG]


def problems(call) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as err:
        call()
    return {violation.field: violation.description for violation in err.value.violations}


def test_good_values_come_back_typed():
    checked = validate_values(
        SPECS, {"wear": 0.5, "pattern_index": 12.0, "stattrak": False, "tag": "abc"}, "a", require=True
    )
    assert checked == {"wear": 0.5, "pattern_index": 12, "stattrak": False, "tag": "abc"}
    assert isinstance(checked["pattern_index"], int)


@pytest.mark.parametrize(
    ("key", "value", "description"),
    [
        ("wear", 1.01, "must be between 0 and 1"),
        ("wear", "0.5", "must be a number"),
        ("wear", True, "must be a number"),
        ("wear", float("nan"), "must be a finite number"),
        ("pattern_index", 1.5, "must be a whole number"),
        ("pattern_index", 1000, "must be between 0 and 999"),
        ("rarity", "Gold", "must be one of Covert, Classified"),
        ("stattrak", 1, "must be true or false"),
        ("tag", "abcd", "must be at most 3 characters"),
        ("tag", " ", "must not be blank"),
        ("tag", None, "must be a string"),
        ("tag", Unsupported(), "must be a string"),
        ("colour", "red", "is not an attribute of the category"),
    ],
)
def test_each_kind_of_bad_value_is_described(key, value, description):
    found = problems(lambda: validate_values(SPECS, {"wear": 0.1, key: value}, "item.attributes", require=False))
    assert found == {f"item.attributes.{key}": description}


def test_all_problems_are_reported_together_and_required_ones_only_when_asked():
    found = problems(lambda: validate_values(SPECS, {"rarity": "Gold", "tag": "long"}, "x", require=True))
    assert set(found) == {"x.rarity", "x.tag", "x.wear"}
    assert validate_values(SPECS, {}, "x", require=False) == {}


def test_a_template_fixes_its_values():
    fixed = {"rarity": "Covert"}
    assert validate_values(SPECS, {"wear": 0.1}, "x", require=True, fixed=fixed) == {"wear": 0.1, "rarity": "Covert"}
    assert (
        validate_values(SPECS, {"wear": 0.1, "rarity": "Covert"}, "x", require=True, fixed=fixed)["rarity"] == "Covert"
    )
    assert set(
        problems(lambda: validate_values(SPECS, {"wear": 0.1, "rarity": "Classified"}, "x", require=True, fixed=fixed))
    ) == {"x.rarity"}


def test_filters_parse_ranges_any_of_and_flags():
    wear, rarity, stattrak = parse_filters(SPECS, ["wear:0..0.07", "rarity:Covert|Classified", "stattrak:TRUE"])
    assert (wear.minimum, wear.maximum, wear.values) == (0, 0.07, ())
    assert rarity.values == ("Covert", "Classified")
    assert stattrak.values == (True,)
    [half_open] = parse_filters(SPECS, ["wear:..0.07"])
    assert (half_open.minimum, half_open.maximum) == (None, 0.07)


def test_unfilterable_unknown_and_malformed_filters_are_each_named():
    found = problems(lambda: parse_filters(SPECS, ["pattern_index:1", "x:1", "wear", "wear:a..b", "stattrak:1..2"]))
    assert set(found) == {f"attributes[{index}]" for index in range(5)}


def test_narrowing_names_only_what_forbids_more():
    assert not narrowing(WEAR, WEAR)
    widened = Attribute("wear", AttributeType.NUMBER, id=WEAR.id, min_value=-1, max_value=2)
    assert not narrowing(WEAR, widened)
    narrowed = Attribute("wear", AttributeType.NUMBER, id=WEAR.id, required=True, min_value=0.1, max_value=0.9)
    assert narrowing(WEAR, narrowed) == Narrowing(below=0.1, above=0.9)
    assert narrowing(
        RARITY, Attribute("rarity", AttributeType.ENUM, id=RARITY.id, allowed_values=("Covert",))
    ) == Narrowing(allowed=("Covert",))
    assert narrowing(TAG, Attribute("tag", AttributeType.STRING, id=TAG.id, required=True, max_length=2)) == Narrowing(
        longer_than=2, now_required=True
    )
    assert not narrowing(
        RARITY,
        Attribute("rarity", AttributeType.ENUM, id=RARITY.id, allowed_values=("Covert", "Classified", "Mil-Spec")),
    )


def test_a_mask_changes_only_the_named_fields_and_refuses_the_rest():
    current = GameFields(name="A", description="a", logo_url="")
    patch = GameFields(name="B", description="b", logo_url="")
    assert apply_mask(current, patch, ["description"], prefix="game.", fields=GAME_MASK) == GameFields("A", "b", "")
    assert apply_mask(current, patch, [], prefix="game.", fields=GAME_MASK) == patch
    with pytest.raises(InvalidArgument):
        apply_mask(current, patch, ["create_time"], prefix="game.", fields=GAME_MASK)


def test_the_seed_data_follows_the_rules():
    for game in CATALOG:
        for category in game.categories:
            specs = category.attributes
            assert len({spec.key for spec in specs}) == len(specs), category.name
            for template in category.templates:
                validate_values(specs, template.attributes, template.name, require=False)


def test_a_range_upside_down_is_refused():
    found = problems(lambda: parse_filters(SPECS, ["wear:0.5..0.1", "wear:0.1..0.5"]))
    assert set(found) == {"attributes[0]"}
