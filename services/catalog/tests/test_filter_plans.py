"""The filtered item list (`GET /v1/categories/{id}/items?filter=...`) reads its filters as trading's search
does: a semi-join per filter on the typed values table, each answered by the index of its value's type
(attribute, value, item): one index per attribute type, whatever the attribute. Each filter alone is planned
with sequential scans off (testkit.plans)."""

import uuid

import pytest

from catalog.domain.attributes import Attribute
from catalog.repository.items import filtered_items
from servicekit.filters import AttributeType, Filter
from servicekit.pagination import Page
from testkit.plans import plan_without_seqscan

WEAR = Attribute("wear", AttributeType.NUMBER, min_value=0, max_value=1, filterable=True, id=uuid.uuid4())
PATTERN = Attribute("pattern_index", AttributeType.INTEGER, min_value=0, max_value=999, id=uuid.uuid4())
RARITY = Attribute("rarity", AttributeType.ENUM, allowed_values=("Covert", "Classified"), id=uuid.uuid4())
FINISH = Attribute("finish", AttributeType.STRING, id=uuid.uuid4())
STATTRAK = Attribute("stattrak", AttributeType.BOOLEAN, id=uuid.uuid4())


async def plan_of(stack, filters: list[Filter]) -> str:
    return await plan_without_seqscan(
        stack.database_urls["catalog"], filtered_items(uuid.uuid4(), filters, Page(size=20))
    )


@pytest.mark.parametrize(
    ("item_filter", "index"),
    [
        (Filter(WEAR, minimum=0.0, maximum=0.07), "ix_item_attribute_values_number"),
        (Filter(PATTERN, values=(661.0,)), "ix_item_attribute_values_number"),
        (Filter(RARITY, values=("Covert", "Classified")), "ix_item_attribute_values_string"),
        (Filter(FINISH, values=("Doppler",)), "ix_item_attribute_values_string"),
        (Filter(STATTRAK, values=(True,)), "ix_item_attribute_values_boolean"),
    ],
)
async def test_each_filter_is_answered_by_the_index_of_its_type(stack, item_filter, index):
    plan = await plan_of(stack, [item_filter])
    assert index in plan, plan


async def test_filters_of_several_types_each_use_their_own_index(stack):
    plan = await plan_of(stack, [Filter(WEAR, maximum=0.07), Filter(RARITY, values=("Covert",))])
    assert "ix_item_attribute_values_number" in plan and "ix_item_attribute_values_string" in plan, plan
