"""The demo market that `python -m trading seed` makes: the demo seller's listings, the demo buyer's offers and
purchase. Games, categories, templates and attribute keys are those of catalog's seed (catalog/seed_data.py);
every title is unique, as the seed finds a listing again by its title."""

from dataclasses import dataclass

from servicekit.geo import Point
from servicekit.money import Money
from servicekit.values import Scalar
from trading.domain.listings import Condition, Feed

CITIES = {
    "Berlin": Point(52.5200, 13.4050),
    "Paris": Point(48.8566, 2.3522),
    "Madrid": Point(40.4168, -3.7038),
    "Warsaw": Point(52.2297, 21.0122),
    "New York": Point(40.7128, -74.0060),
}


def pictures(slug: str, count: int = 2) -> tuple[str, ...]:
    """Placeholder photos that always load: the same picture for the same slug."""
    return tuple(f"https://picsum.photos/seed/{slug}-{n}/800/600" for n in range(1, count + 1))


@dataclass(frozen=True)
class ItemListing:
    """A game item the seller owns in catalog (made from a template of catalog's seed), on sale."""

    slug: str  # names the item's request id and its pictures
    title: str
    game: str
    category: str
    template: str
    # The item's own values; the template fixes the rest.
    values: dict[str, Scalar]
    price: Money
    description: str


@dataclass(frozen=True)
class GoodsListing:
    """A physical thing described free-form in a category of catalog's General game, where it can be picked up."""

    slug: str
    title: str
    category: str
    values: dict[str, Scalar]
    condition: Condition
    price: Money
    city: str
    description: str
    feed: Feed = Feed.DISCOVER


@dataclass(frozen=True)
class DemoOffer:
    """The buyer's offer on a listing (by its title), and the seller's counter-offer when there is one."""

    listing: str
    amount: Money
    message: str
    counter: Money | None = None
    counter_message: str = ""


def usd(cents: int) -> Money:
    return Money("USD", cents)


def eur(cents: int) -> Money:
    return Money("EUR", cents)


def pln(grosze: int) -> Money:
    return Money("PLN", grosze)


CS2, DOTA, FORTNITE, GENERAL = "Counter-Strike 2", "Dota 2", "Fortnite", "General"

ITEMS = (
    ItemListing(
        "ak47-redline-ft",
        "AK-47 | Redline (Field-Tested)",
        CS2,
        "Weapon skins",
        "AK-47 | Redline",
        {"wear": 0.2143, "exterior": "Field-Tested", "pattern_index": 661, "stattrak": False},
        usd(2499),
        "Clean Redline with a low float for Field-Tested; no stickers. Instant delivery.",
    ),
    ItemListing(
        "awp-asiimov-ft",
        "AWP | Asiimov (Field-Tested)",
        CS2,
        "Weapon skins",
        "AWP | Asiimov",
        {"wear": 0.3012, "exterior": "Field-Tested", "pattern_index": 412},
        usd(8900),
        "Scope mostly white, the usual Asiimov wear on the back. Instant delivery.",
    ),
    ItemListing(
        "m4a1s-hyper-beast-mw",
        "StatTrak™ M4A1-S | Hyper Beast (Minimal Wear)",
        CS2,
        "Weapon skins",
        "M4A1-S | Hyper Beast",
        {"wear": 0.0931, "exterior": "Minimal Wear", "pattern_index": 88, "stattrak": True},
        usd(6450),
        "StatTrak™ counter at 1,204 kills.",
    ),
    ItemListing(
        "karambit-doppler-fn",
        "★ Karambit | Doppler (Factory New)",
        CS2,
        "Knives",
        "★ Karambit | Doppler",
        {"wear": 0.0118, "exterior": "Factory New", "pattern_index": 417},
        usd(85000),
        "Phase 2, great pink. Offers considered.",
    ),
    ItemListing(
        "manifold-paradox",
        "Manifold Paradox (Phantom Assassin arcana)",
        DOTA,
        "Hero items",
        "Manifold Paradox",
        {"quality": "Standard"},
        usd(3250),
        "Arcana with its style unlocked up to the second.",
    ),
    ItemListing(
        "baby-roshan-genuine",
        "Genuine Baby Roshan",
        DOTA,
        "Couriers",
        "Baby Roshan",
        {"flying": False},
        usd(4200),
        "The courier from The International 2012.",
    ),
    ItemListing(
        "black-knight",
        "Black Knight outfit",
        FORTNITE,
        "Cosmetics",
        "Black Knight",
        {},
        usd(4500),
        "Season 2 battle pass outfit.",
    ),
)

GOODS = (
    GoodsListing(
        "air-jordan-1-chicago",
        "Nike Air Jordan 1 Retro High OG 'Chicago', EU 43",
        "Sneakers",
        {
            "brand": "Nike",
            "size_eu": 43,
            "colorway": "White/Black-Varsity Red",
            "condition": "Like new",
            "original_box": True,
            "release_year": 2015,
        },
        Condition.LIKE_NEW,
        eur(42000),
        "Berlin",
        "Worn twice, no creasing, with the original box and laces. Pick-up in Mitte or shipping within Germany.",
    ),
    GoodsListing(
        "ikea-fado-lamp",
        "IKEA Fado table lamp, white",
        "Home decor",
        {
            "decor_type": "Lamp",
            "brand": "IKEA",
            "material": "Glass",
            "color": "White",
            "height_cm": 24,
            "condition": "Good",
        },
        Condition.GOOD,
        eur(1500),
        "Berlin",
        "Soft light, a small scratch on the base. Bulb included.",
        Feed.COMMUNITY,
    ),
    GoodsListing(
        "playstation-5",
        "Sony PlayStation 5 with two controllers",
        "Electronics",
        {
            "device_type": "Console",
            "brand": "Sony",
            "model": "PlayStation 5",
            "storage_gb": 825,
            "condition": "Good",
            "warranty": False,
        },
        Condition.GOOD,
        eur(38000),
        "Paris",
        "Disc edition, bought in 2022, works perfectly. Cables and both controllers included.",
    ),
    GoodsListing(
        "herman-miller-aeron",
        "Herman Miller Aeron chair, size B",
        "Furniture",
        {
            "furniture_type": "Chair",
            "brand": "Herman Miller",
            "material": "Mesh",
            "color": "Graphite",
            "condition": "Good",
            "assembly_required": False,
        },
        Condition.GOOD,
        eur(55000),
        "Madrid",
        "Fully adjustable arms and lumbar support. Collection in Chamberí.",
    ),
    GoodsListing(
        "charizard-base-set-psa8",
        "Charizard Base Set 4/102, PSA 8",
        "Trading cards",
        {
            "card_game": "Pokémon",
            "set": "Base Set",
            "card_condition": "Near Mint",
            "language": "English",
            "graded": True,
            "grade": 8,
            "grading_company": "PSA",
            "first_edition": False,
            "year": 1999,
        },
        Condition.LIKE_NEW,
        pln(450000),
        "Warsaw",
        "Unlimited print, slab without scratches. Hand-over in person in Śródmieście.",
    ),
    GoodsListing(
        "dune-hardcover",
        "Dune by Frank Herbert, hardcover",
        "Books",
        {"author": "Frank Herbert", "format": "Hardcover", "language": "English", "condition": "Good"},
        Condition.GOOD,
        pln(6000),
        "Warsaw",
        "Book club edition, dust jacket slightly worn.",
    ),
    GoodsListing(
        "fleer-jordan-rookie",
        "1986 Fleer Michael Jordan #57 rookie, PSA 7",
        "Sports cards",
        {
            "sport": "Basketball",
            "player": "Michael Jordan",
            "year": 1986,
            "manufacturer": "Fleer",
            "rookie": True,
            "graded": True,
            "grade": 7,
        },
        Condition.GOOD,
        usd(320000),
        "New York",
        "Well centred for a 7. Meet at a card shop in Manhattan or insured shipping.",
    ),
    GoodsListing(
        "lego-millennium-falcon",
        "LEGO Star Wars Millennium Falcon 75192, sealed",
        "Collectibles",
        {"collectible_type": "Toy", "franchise": "Star Wars", "year": 2017, "sealed": True, "condition": "New"},
        Condition.NEW,
        usd(79900),
        "New York",
        "Ultimate Collector Series, box sealed and never opened. Pick-up in Brooklyn.",
    ),
)

OFFERS = (
    DemoOffer("Nike Air Jordan 1 Retro High OG 'Chicago', EU 43", eur(36000), "Would you take 360? I can come today."),
    DemoOffer("Sony PlayStation 5 with two controllers", eur(34000), "340 and I pick it up this weekend?"),
    DemoOffer("LEGO Star Wars Millennium Falcon 75192, sealed", usd(70000), "Is 700 possible?"),
    DemoOffer(
        "★ Karambit | Doppler (Factory New)",
        usd(72000),
        "720 right now?",
        counter=usd(80000),
        counter_message="Phase 2 with this pink goes for more; 800 is my best.",
    ),
)

# The item listing the buyer buys at its price.
PURCHASE = "AK-47 | Redline (Field-Tested)"


@dataclass(frozen=True)
class DemoStream:
    """A stream of the seller's: live now, or scheduled some hours ahead, pinning listings by title."""

    slug: str  # names its thumbnail
    title: str
    description: str
    game: str
    category: str
    live: bool
    hours_ahead: int
    pins: tuple[str, ...]
    url: str


STREAMS = (
    DemoStream(
        "cs2-skin-drops",
        "CS2 skin drops: Redlines, Asiimovs and a Karambit",
        "Going through the inventory live; ask about floats and patterns in the comments.",
        CS2,
        "Weapon skins",
        live=True,
        hours_ahead=0,
        pins=("AWP | Asiimov (Field-Tested)", "★ Karambit | Doppler (Factory New)"),
        url="https://www.twitch.tv/demo_seller",
    ),
    DemoStream(
        "sneaker-sunday",
        "Sneaker Sunday: Jordans from Berlin",
        "Every pair on camera, sizes and soles up close before you buy.",
        GENERAL,
        "Sneakers",
        live=False,
        hours_ahead=48,
        pins=("Nike Air Jordan 1 Retro High OG 'Chicago', EU 43",),
        url="https://www.youtube.com/@demo_seller",
    ),
)
