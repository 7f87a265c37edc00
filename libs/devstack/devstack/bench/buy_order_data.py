"""The buy-orders benchmark's orders: generated from a seeded RNG and loaded in bulk, not timed.

Orders are spread evenly over the seeded catalog's categories, each a standing query as trading
stores it (trading.repository.standing_queries): a price cap drawn like the listings' prices
(search_data.py) in USD or EUR, none to three attribute filters drawn from the category's filterable
definitions (a range over a part of a number's bounds, one or two values of an enum, a boolean, one
text value), and for physical goods sometimes a set of conditions, a circle around one of the cities,
and a word. They are written as open orders with INSERT ... SELECT FROM unnest in batches.

Their holds are made up: no money is held in accounts for them. The benchmark creates only free-form
listings, whose purchases wait for their buyer's confirmation, so no fill of these orders ever asks the
ledger for its hold during the run (and the bench databases are dropped after it).
"""

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from devstack.bench.search_data import CITIES, CONDITIONS, CURRENCIES, BenchCategory, ListingGenerator
from servicekit.filters import AttributeType

SEED = 20261203
BATCH = 10_000
# How many filters an order has, and how often.
FILTER_COUNTS = {0: 0.2, 1: 0.4, 2: 0.3, 3: 0.1}
# Of physical orders: with a set of conditions, with a circle.
WITH_CONDITIONS = 0.3
WITH_CIRCLE = 0.2
# Of all orders: with a word (one of the most common few hundred).
WITH_WORD = 0.1
COMMON_WORDS = 300

QUERY_SQL = """
INSERT INTO standing_queries (id, kind, owner_id, open, category_id, currency, max_price_minor, conditions,
    location, radius_m, created_at)
SELECT id, 'buy_order', owner_id, true, category_id, currency, max_price_minor,
    conditions::listing_condition[], ST_GeogFromText(location), radius_m, created_at
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::text[],
    $8::float8[], $9::timestamptz[])
    AS t(id, owner_id, category_id, currency, max_price_minor, conditions, location, radius_m, created_at)
"""
FILTER_SQL = """
INSERT INTO standing_query_filters (standing_query_id, position, key, minimum, maximum, numbers, strings, booleans)
SELECT id, position, key, minimum, maximum, NULL, NULLIF(string, '')::text[], NULLIF(boolean, '')::boolean[]
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[])
    AS t(id, position, key, minimum, maximum, string, boolean)
"""
ORDER_SQL = """
INSERT INTO buy_orders (id, buyer_id, status, q, attributes, quantity, expire_at, hold_id, hold_posting_id,
    matched_at, created_at, updated_at)
SELECT id, buyer_id, 'open', q, string_to_array(attributes, E'\\n'), quantity, expire_at, gen_random_uuid(),
    gen_random_uuid(), created_at, created_at, created_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[])
    AS t(id, buyer_id, q, attributes, quantity, expire_at, created_at)
"""
TERMS_SQL = """
UPDATE standing_queries s SET terms = websearch_to_tsquery('simple', b.q)
FROM buy_orders b WHERE b.id = s.id AND b.q <> ''
"""


def _array_text(values: Sequence[str]) -> str:
    """A PostgreSQL array literal of quoted strings."""
    return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"


class OrderGenerator:
    """Orders, their filters and their standing queries, the same ones for the same seed."""

    def __init__(self, categories: Sequence[BenchCategory], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.listings = ListingGenerator(categories)
        self.categories = list(categories)
        self.now = datetime.now(UTC)

    def _filter(self, category: BenchCategory, attribute) -> tuple[str, float | None, float | None, str, str]:
        """One filter: as the buyer writes it, and as its typed row (minimum, maximum, strings, booleans)."""
        rng = self.rng
        key = attribute.key
        if attribute.type in (AttributeType.INTEGER, AttributeType.NUMBER):
            low = attribute.min_value if attribute.min_value is not None else 0.0
            high = attribute.max_value if attribute.max_value is not None else low + 1000.0
            centre, width = rng.uniform(low, high), (high - low) * rng.uniform(0.05, 0.5)
            minimum = None if rng.random() < 0.3 else round(max(low, centre - width / 2), 4)
            maximum = round(min(high, centre + width / 2), 4)
            written = f"{key}:{'' if minimum is None else minimum}..{maximum}"
            return written, minimum, maximum, "", ""
        if attribute.type is AttributeType.BOOLEAN:
            value = rng.random() < 0.5
            return f"{key}:{str(value).lower()}", None, None, "", "{" + str(value).lower() + "}"
        if attribute.type is AttributeType.ENUM:
            values = rng.sample(list(attribute.allowed_values), k=min(len(attribute.allowed_values), rng.randint(1, 2)))
        else:
            values = [rng.choice(self.listings.text_values[category.id][key])]
        return f"{key}:{'|'.join(values)}", None, None, _array_text(values), ""

    def batch(self, size: int) -> tuple[list[list], list[list], list[list]]:
        """`size` orders as columns for QUERY_SQL, FILTER_SQL and ORDER_SQL."""
        rng = self.rng
        queries: list[list] = [[] for _ in range(9)]
        filters: list[list] = [[] for _ in range(7)]
        orders: list[list] = [[] for _ in range(7)]
        for _ in range(size):
            category = rng.choice(self.categories)
            order_id, buyer_id = (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                uuid.UUID(int=rng.getrandbits(128), version=4),
            )
            created = self.now - timedelta(seconds=rng.uniform(0, 30 * 86400))
            conditions = location = radius = None
            if category.physical and rng.random() < WITH_CONDITIONS:
                conditions = "{" + ",".join(rng.sample(list(CONDITIONS), k=rng.randint(2, 3))) + "}"
            if category.physical and rng.random() < WITH_CIRCLE:
                latitude, longitude = rng.choice(list(CITIES.values()))
                location, radius = f"SRID=4326;POINT({longitude} {latitude})", rng.uniform(5, 50) * 1000
            currency = rng.choices(list(CURRENCIES), weights=list(CURRENCIES.values()))[0]
            price = max(100, int(rng.lognormvariate(8.5, 1.2)))
            for column, value in zip(
                queries,
                (order_id, buyer_id, category.id, currency, price, conditions, location, radius, created),
                strict=True,
            ):
                column.append(value)
            filterable = [attribute for attribute in category.seed.attributes if attribute.filterable]
            count = rng.choices(list(FILTER_COUNTS), weights=list(FILTER_COUNTS.values()))[0]
            written = []
            for position, attribute in enumerate(rng.sample(filterable, k=min(count, len(filterable)))):
                text, minimum, maximum, strings, booleans = self._filter(category, attribute)
                written.append(text)
                for column, value in zip(
                    filters, (order_id, position, attribute.key, minimum, maximum, strings, booleans), strict=True
                ):
                    column.append(value)
            words = rng.choice(self.listings.words[:COMMON_WORDS]) if rng.random() < WITH_WORD else ""
            for column, value in zip(
                orders,
                (
                    order_id,
                    buyer_id,
                    words,
                    "\n".join(written),
                    rng.randint(1, 3),
                    created + timedelta(days=60),
                    created,
                ),
                strict=True,
            ):
                column.append(value)
        return queries, filters, orders


async def load_orders(trading_url: str, categories: Sequence[BenchCategory], count: int) -> None:
    """Writes `count` open orders into the bench trading database and ANALYZEs their tables."""
    generator = OrderGenerator(categories)
    trading = await asyncpg.connect(trading_url)
    try:
        for start in range(0, count, BATCH):
            queries, filters, orders = generator.batch(min(BATCH, count - start))
            async with trading.transaction():
                await trading.execute(QUERY_SQL, *queries)
                await trading.execute(FILTER_SQL, *filters)
                await trading.execute(ORDER_SQL, *orders)
        await trading.execute(TERMS_SQL)
        await trading.execute("VACUUM ANALYZE standing_queries, standing_query_filters, buy_orders")
    finally:
        await trading.close()
