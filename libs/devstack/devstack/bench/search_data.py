"""The search benchmark's listings: generated from a seeded RNG and loaded with COPY, not timed.

Every listing is in a category of the seeded catalog (`catalog.seed_data.CATALOG`), with the real
category and game ids of the bench catalog, and its values drawn from that category's definitions:
enums from their allowed values (the first ones most often), numbers within their bounds, booleans,
text from the seed's own values and a few made-up ones. Values are stored twice, as trading writes
them: the listing's `attributes` and one typed row each in listing_attribute_values
(`trading.repository.listings.typed_value`).

Titles and descriptions are drawn from a vocabulary of a few thousand words (made of syllables,
with real item nouns and brands among them) with Zipf-Mandelbrot frequencies, so that the most
common word is in about 5 % of the listings and a word of rank 1,000 in about 0.4 %. Weapon skins
are 30 % of the listings (the broad search is that category); the other categories share the rest.
Physical goods (the General game) lie around one of 30 cities; game items have no location.
"""

import itertools
import json
import math
import random
import struct
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from catalog.bench import exterior_of
from catalog.domain.attributes import Attribute
from catalog.seed_data import CATALOG, CategorySeed
from servicekit.bulk import keys_rebuilt_after
from servicekit.filters import AttributeType
from servicekit.geo import SRID
from trading.repository.listings import typed_value

SEED = 20261202
BATCH = 20_000
BROAD_CATEGORY = ("Counter-Strike 2", "Weapon skins")
BROAD_SHARE = 0.30
PHYSICAL_GAME = "General"
SYLLABLES = [
    "ka",
    "ri",
    "to",
    "mu",
    "sa",
    "ne",
    "lo",
    "vi",
    "da",
    "pe",
    "zu",
    "ho",
    "ta",
    "mi",
    "ro",
    "ke",
    "su",
    "na",
    "bo",
    "li",
    "fa",
    "gu",
    "de",
    "ya",
    "te",
    "wa",
    "ki",
    "po",
    "sha",
    "chi",
    "ze",
    "mo",
    "ru",
]
# Real words among the made-up ones, spread over the frequency ranks.
ITEM_WORDS = [
    "vintage",
    "rare",
    "mint",
    "sealed",
    "boxed",
    "signed",
    "limited",
    "edition",
    "original",
    "retro",
    "classic",
    "custom",
    "black",
    "white",
    "red",
    "blue",
    "green",
    "gold",
    "silver",
    "leather",
    "wooden",
    "steel",
    "glass",
    "cotton",
    "wool",
    "denim",
    "jacket",
    "shirt",
    "hoodie",
    "sneakers",
    "boots",
    "watch",
    "lamp",
    "chair",
    "table",
    "sofa",
    "mirror",
    "camera",
    "phone",
    "laptop",
    "console",
    "controller",
    "headphones",
    "speaker",
    "guitar",
    "poster",
    "comic",
    "figure",
    "card",
    "deck",
    "bundle",
    "set",
    "pack",
    "lot",
    "collection",
    "nike",
    "adidas",
    "puma",
    "reebok",
    "levis",
    "patagonia",
    "sony",
    "apple",
    "samsung",
    "nintendo",
    "lego",
    "ikea",
    "canon",
    "gucci",
    "prada",
    "rolex",
    "casio",
    "dyson",
    "bose",
    "fender",
    "marvel",
    "disney",
    "pokemon",
]
VOCABULARY_SIZE = 4_000
# Zipf-Mandelbrot: the word of rank r is drawn in proportion to 1 / (r + ZIPF_OFFSET) ** ZIPF_EXPONENT.
ZIPF_OFFSET = 100
ZIPF_EXPONENT = 1.0
TITLE_WORDS = (2, 4)
DESCRIPTION_WORDS = (8, 16)
CITIES = {
    "Berlin": (52.520, 13.405),
    "Hamburg": (53.551, 9.994),
    "Munich": (48.137, 11.576),
    "Cologne": (50.938, 6.960),
    "Paris": (48.857, 2.352),
    "Lyon": (45.764, 4.836),
    "Marseille": (43.296, 5.370),
    "London": (51.507, -0.128),
    "Manchester": (53.481, -2.243),
    "Edinburgh": (55.953, -3.188),
    "Amsterdam": (52.370, 4.895),
    "Rotterdam": (51.924, 4.478),
    "Brussels": (50.850, 4.352),
    "Madrid": (40.417, -3.704),
    "Barcelona": (41.385, 2.173),
    "Lisbon": (38.722, -9.139),
    "Rome": (41.903, 12.496),
    "Milan": (45.464, 9.190),
    "Vienna": (48.208, 16.374),
    "Zurich": (47.377, 8.541),
    "Warsaw": (52.230, 21.012),
    "Prague": (50.076, 14.438),
    "Stockholm": (59.329, 18.069),
    "Copenhagen": (55.676, 12.568),
    "New York": (40.713, -74.006),
    "Chicago": (41.878, -87.630),
    "Los Angeles": (34.052, -118.244),
    "San Francisco": (37.775, -122.419),
    "Toronto": (43.653, -79.383),
    "Austin": (30.267, -97.743),
}
# How far from its city's centre a listing lies: a normal spread of this many km on each axis.
CITY_SPREAD_KM = 8.0
CURRENCIES = {"USD": 0.6, "EUR": 0.4}
STATUSES = {"active": 0.90, "sold": 0.05, "cancelled": 0.03, "reserved": 0.01, "draft": 0.01}
CONDITIONS = {"new": 0.2, "like_new": 0.3, "good": 0.3, "fair": 0.15, "poor": 0.05}
COMMUNITY_SHARE = 0.15
SELLERS = 20_000
OPTIONAL_PRESENT = 0.6
TRUE_SHARE = 0.2
MADE_UP_TEXT_VALUES = 20
LISTING_COLUMNS = (
    "id",
    "seller_id",
    "title",
    "description",
    "condition",
    "price_minor",
    "currency",
    "location",
    "feed",
    "status",
    "created_at",
    "updated_at",
    "item_id",
    "category_id",
    "game_id",
    "attributes",
)
VALUE_COLUMNS = ("listing_id", "key", "value_string", "value_number", "value_boolean")


@dataclass(frozen=True)
class BenchCategory:
    """A seeded category with its ids in the bench catalog and its share of the listings."""

    game: str
    seed: CategorySeed
    id: UUID
    game_id: UUID
    share: float

    @property
    def physical(self) -> bool:
        return self.game == PHYSICAL_GAME


def zipf_weights(count: int) -> list[float]:
    return [1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(1, count + 1)]


def vocabulary(rng: random.Random) -> list[str]:
    """VOCABULARY_SIZE distinct words, most frequent first: made of two to four syllables, with the real
    ITEM_WORDS at random ranks."""
    made_up: dict[str, None] = {}
    while len(made_up) < VOCABULARY_SIZE - len(ITEM_WORDS):
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in ITEM_WORDS:
            made_up[word] = None
    words = list(made_up)
    for word in ITEM_WORDS:
        words.insert(rng.randrange(len(words)), word)
    return words


async def bench_categories(catalog: asyncpg.Connection) -> list[BenchCategory]:
    """Every seeded category, with its ids in the bench catalog; the broad one has BROAD_SHARE."""
    rows = await catalog.fetch(
        "SELECT g.name AS game, c.name AS category, c.id, g.id AS game_id"
        " FROM item_categories c JOIN games g ON g.id = c.game_id"
    )
    ids = {(row["game"], row["category"]): (row["id"], row["game_id"]) for row in rows}
    seeded = [(game.name, category) for game in CATALOG for category in game.categories]
    others = (1 - BROAD_SHARE) / (len(seeded) - 1)
    return [
        BenchCategory(game, seed, *ids[game, seed.name], BROAD_SHARE if (game, seed.name) == BROAD_CATEGORY else others)
        for game, seed in seeded
    ]


def ewkb_point(latitude: float, longitude: float) -> bytes:
    """A point as PostGIS reads it in binary COPY: little-endian EWKB with its SRID."""
    return struct.pack("<BIIdd", 1, 0x20000001, SRID, longitude, latitude)


class ListingGenerator:
    """Listings and their typed values, batch after batch, the same ones for the same seed."""

    def __init__(self, categories: Sequence[BenchCategory], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.word_weights = list(itertools.accumulate(zipf_weights(len(self.words))))
        self.categories = list(categories)
        self.category_weights = list(itertools.accumulate(category.share for category in self.categories))
        self.sellers = [uuid.UUID(int=self.rng.getrandbits(128), version=4) for _ in range(SELLERS)]
        self.text_values = {category.id: self._text_values(category.seed) for category in self.categories}
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def _text_values(self, seed: CategorySeed) -> dict[str, list[str]]:
        """Per text attribute: the values the seed's templates give it, and made-up ones."""
        values: dict[str, list[str]] = {}
        for attribute in seed.attributes:
            if attribute.type is AttributeType.STRING:
                seeded = [str(t.attributes[attribute.key]) for t in seed.templates if attribute.key in t.attributes]
                made_up = [self._words(1, 2).title() for _ in range(MADE_UP_TEXT_VALUES)]
                values[attribute.key] = list(dict.fromkeys(seeded + made_up))
        return values

    def _words(self, fewest: int, most: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.word_weights, k=self.rng.randint(fewest, most)))

    def _value(self, category: BenchCategory, attribute: Attribute) -> object:
        rng = self.rng
        if attribute.type is AttributeType.ENUM:
            values = attribute.allowed_values
            return rng.choices(values, weights=[1 / (index + 1) for index in range(len(values))])[0]
        if attribute.type is AttributeType.BOOLEAN:
            return rng.random() < TRUE_SHARE
        if attribute.type in (AttributeType.INTEGER, AttributeType.NUMBER):
            low = attribute.min_value if attribute.min_value is not None else 0.0
            high = attribute.max_value if attribute.max_value is not None else low + 1000.0
            if attribute.type is AttributeType.INTEGER:
                return rng.randint(int(low), int(high))
            return round(rng.uniform(low, high), 4)
        return rng.choice(self.text_values[category.id][attribute.key])

    def _attributes(self, category: BenchCategory) -> dict[str, object]:
        values = {
            attribute.key: self._value(category, attribute)
            for attribute in category.seed.attributes
            if attribute.required or self.rng.random() < OPTIONAL_PRESENT
        }
        if "wear" in values and "exterior" in values:
            values["exterior"] = exterior_of(values["wear"])
        return values

    def _title(self, category: BenchCategory) -> str:
        """Words, after the name of one of the category's templates half the time."""
        templates = category.seed.templates
        words = self._words(*TITLE_WORDS)
        return f"{self.rng.choice(templates).name} {words}"[:200] if templates and self.rng.random() < 0.5 else words

    def _location(self) -> bytes:
        latitude, longitude = self.rng.choice(list(CITIES.values()))
        degrees = CITY_SPREAD_KM / 111.0
        return ewkb_point(
            latitude + self.rng.gauss(0, degrees),
            longitude + self.rng.gauss(0, degrees / math.cos(math.radians(latitude))),
        )

    def batch(self, size: int) -> tuple[list[tuple], list[tuple]]:
        """`size` listings and their values, as records for COPY."""
        rng = self.rng
        listings, values = [], []
        chosen = rng.choices(self.categories, cum_weights=self.category_weights, k=size)
        for category in chosen:
            listing_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            attributes = self._attributes(category)
            created = self.now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            currency = rng.choices(list(CURRENCIES), weights=list(CURRENCIES.values()))[0]
            listings.append(
                (
                    listing_id,
                    rng.choice(self.sellers),
                    self._title(category),
                    self._words(*DESCRIPTION_WORDS).capitalize() + ".",
                    rng.choices(list(CONDITIONS), weights=list(CONDITIONS.values()))[0] if category.physical else None,
                    max(100, int(rng.lognormvariate(8.5, 1.2))),
                    currency,
                    self._location() if category.physical else None,
                    "community" if rng.random() < COMMUNITY_SHARE else "discover",
                    rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0],
                    created,
                    created,
                    None if category.physical else uuid.UUID(int=rng.getrandbits(128), version=4),
                    category.id,
                    category.game_id,
                    json.dumps(attributes),
                )
            )
            for key, value in attributes.items():
                typed = {"value_string": None, "value_number": None, "value_boolean": None} | typed_value(value)
                values.append((listing_id, key, typed["value_string"], typed["value_number"], typed["value_boolean"]))
        return listings, values


def batches(count: int) -> Iterator[int]:
    for start in range(0, count, BATCH):
        yield min(BATCH, count - start)


async def load_listings(trading_url: str, catalog_url: str, count: int, console: Console) -> list[BenchCategory]:
    """Loads `count` generated listings into the bench trading database (the search indexes rebuilt after
    the load), ANALYZEs, and answers the categories they are in."""
    catalog = await asyncpg.connect(catalog_url)
    try:
        categories = await bench_categories(catalog)
    finally:
        await catalog.close()
    generator = ListingGenerator(categories)
    trading = await asyncpg.connect(trading_url)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        # Locations go as EWKB: binary COPY has no other way to write a geography.
        await trading.set_type_codec("geography", encoder=bytes, decoder=bytes, format="binary")
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("loading listings (COPY)", total=count)
            async with (
                keys_rebuilt_after(trading, "listing_attribute_values"),
                keys_rebuilt_after(trading, "listings", primary_key=False),
            ):
                for size in batches(count):
                    listings, values = generator.batch(size)
                    async with trading.transaction():
                        await trading.copy_records_to_table("listings", records=listings, columns=LISTING_COLUMNS)
                        await trading.copy_records_to_table(
                            "listing_attribute_values", records=values, columns=VALUE_COLUMNS
                        )
                    progress.advance(task, size)
                progress.add_task("building the indexes", total=None)
            await trading.execute("VACUUM ANALYZE listings, listing_attribute_values")
    finally:
        await trading.close()
    return categories
