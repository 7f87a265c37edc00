"""PostgreSQL reads a part of the words' matches whole through the words' index when it has few of them,
and walks the primary key when it has many: the same answers either way. A trading server that walks every
part answers every search by relevance, page after page, as the stack's (which reads the tests' few
matches whole)."""

import grpc
import pytest

from marketplace.trading.v1 import trading_service_pb2_grpc
from testkit.stack import replica

from .search_support import listed
from .test_search_dense_filters import every_page

SEARCHES = [{"q": "sneakers"}, {"q": "red sneakers"}, {"q": "sneakers", "attributes": ["colour:red|white"]}]


@pytest.fixture
async def walking_trading(stack):
    async with (
        replica(stack, "trading", search_sparse_part_matches=0) as address,
        grpc.aio.insecure_channel(address) as channel,
    ):
        yield trading_service_pb2_grpc.TradingServiceStub(channel)


async def test_parts_read_whole_answer_as_walks_of_the_primary_key(trading, walking_trading, seller, sneakers):
    for index in range(9):
        await listed(
            trading,
            seller,
            sneakers.id,
            title=f"Red sneakers {index}" if index % 3 else f"Boots {index}",
            description="sneakers" if index % 3 == 0 else "",
            attributes={"size": 38 + index, "colour": ("red", "white", "black")[index % 3], "boxed": index % 2 == 0},
        )
    for fields in SEARCHES:
        expected = await every_page(trading, category_id=sneakers.id, **fields)
        assert sum(len(ids) for ids, _, _ in expected) > 3, fields
        assert await every_page(walking_trading, category_id=sneakers.id, **fields) == expected, fields
