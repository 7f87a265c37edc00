"""The demo catalog that `python -m catalog seed` writes: games, categories, attributes, templates."""

from dataclasses import dataclass, field

from catalog.domain.attributes import Attribute, AttributeType

STRING, INTEGER, NUMBER, BOOLEAN, ENUM = (
    AttributeType.STRING,
    AttributeType.INTEGER,
    AttributeType.NUMBER,
    AttributeType.BOOLEAN,
    AttributeType.ENUM,
)


@dataclass(frozen=True)
class TemplateSeed:
    name: str
    description: str
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class CategorySeed:
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    templates: tuple[TemplateSeed, ...] = ()
    parent: str | None = None


@dataclass(frozen=True)
class GameSeed:
    name: str
    description: str
    categories: tuple[CategorySeed, ...]


# Seeded attributes are filterable unless they say otherwise.
def enum(key: str, name: str, *values: str, required: bool = False) -> Attribute:
    return Attribute(key, ENUM, name, required=required, allowed_values=values, filterable=True)


def text(key: str, name: str, max_length: int = 100, required: bool = False, filterable: bool = True) -> Attribute:
    return Attribute(key, STRING, name, required=required, max_length=max_length, filterable=filterable)


def flag(key: str, name: str) -> Attribute:
    return Attribute(key, BOOLEAN, name, filterable=True)


def whole(key: str, name: str, low: float, high: float, unit: str = "") -> Attribute:
    return Attribute(key, INTEGER, name, min_value=low, max_value=high, unit=unit, filterable=True)


def real(key: str, name: str, low: float, high: float, unit: str = "", required: bool = False) -> Attribute:
    return Attribute(key, NUMBER, name, required=required, min_value=low, max_value=high, unit=unit, filterable=True)


def t(name: str, description: str = "", **values: object) -> TemplateSeed:
    return TemplateSeed(name, description, values)


# Counter-Strike 2 ------------------------------------------------------------------------------

EXTERIORS = ("Factory New", "Minimal Wear", "Field-Tested", "Well-Worn", "Battle-Scarred")
CS2_RARITIES = (
    "Consumer Grade",
    "Industrial Grade",
    "Mil-Spec",
    "Restricted",
    "Classified",
    "Covert",
    "Contraband",
)
WEAPON_TYPES = ("Pistol", "Rifle", "SMG", "Shotgun", "Machine Gun", "Sniper Rifle")
WEAR = real("wear", "Wear (float)", 0, 1, required=True)
EXTERIOR = enum("exterior", "Exterior", *EXTERIORS, required=True)
STATTRAK = flag("stattrak", "StatTrak™")
PATTERN = whole("pattern_index", "Pattern index", 0, 999)

COUNTER_STRIKE = GameSeed(
    "Counter-Strike 2",
    "Weapon skins, knives, gloves and stickers.",
    (
        CategorySeed(
            "Weapon skins",
            "Finishes of rifles, pistols, SMGs and more, each with its wear float and pattern.",
            (
                WEAR,
                EXTERIOR,
                enum("rarity", "Rarity", *CS2_RARITIES, required=True),
                STATTRAK,
                PATTERN,
                enum("weapon_type", "Weapon type", *WEAPON_TYPES, required=True),
            ),
            (
                t("AK-47 | Redline", "A red and black carbon fibre finish.", rarity="Classified", weapon_type="Rifle"),
                t(
                    "AWP | Asiimov",
                    "A sci-fi white, orange and black finish.",
                    rarity="Covert",
                    weapon_type="Sniper Rifle",
                ),
                t("M4A4 | Howl", "A howling wolf; the only Contraband skin.", rarity="Contraband", weapon_type="Rifle"),
                t("AK-47 | Fire Serpent", "A serpent in fire on a green body.", rarity="Covert", weapon_type="Rifle"),
                t("M4A1-S | Hyper Beast", "A colourful beast.", rarity="Covert", weapon_type="Rifle"),
                t("Desert Eagle | Blaze", "Flames on a black finish.", rarity="Restricted", weapon_type="Pistol"),
                t("Glock-18 | Fade", "A fade from yellow to purple.", rarity="Restricted", weapon_type="Pistol"),
                t("USP-S | Kill Confirmed", "A skull and a crosshair.", rarity="Covert", weapon_type="Pistol"),
            ),
        ),
        CategorySeed(
            "Knives",
            "★ knives; every one is Covert.",
            (
                WEAR,
                EXTERIOR,
                STATTRAK,
                PATTERN,
                enum(
                    "knife_type",
                    "Knife",
                    "Karambit",
                    "Butterfly Knife",
                    "M9 Bayonet",
                    "Bayonet",
                    "Flip Knife",
                    "Gut Knife",
                    "Huntsman Knife",
                    "Falchion Knife",
                    "Bowie Knife",
                    "Talon Knife",
                    "Skeleton Knife",
                    "Shadow Daggers",
                    required=True,
                ),
                text("finish", "Finish", 60),
            ),
            (
                t("★ Karambit | Doppler", knife_type="Karambit", finish="Doppler"),
                t("★ Butterfly Knife | Fade", knife_type="Butterfly Knife", finish="Fade"),
                t("★ M9 Bayonet | Crimson Web", knife_type="M9 Bayonet", finish="Crimson Web"),
            ),
            parent="Weapon skins",
        ),
        CategorySeed(
            "Stickers",
            "Stickers to apply to weapons, from tournaments and capsules.",
            (
                enum("rarity", "Rarity", "High Grade", "Remarkable", "Exotic", "Extraordinary", required=True),
                enum("sticker_finish", "Finish", "Paper", "Glitter", "Holo", "Foil", "Gold", "Lenticular"),
                text("tournament", "Tournament", 80),
            ),
            (
                t("Sticker | Crown (Foil)", rarity="Exotic", sticker_finish="Foil"),
                t(
                    "Sticker | Titan (Holo) | Katowice 2014",
                    rarity="Remarkable",
                    sticker_finish="Holo",
                    tournament="EMS One Katowice 2014",
                ),
            ),
        ),
    ),
)

# Dota 2 ----------------------------------------------------------------------------------------

DOTA_RARITIES = ("Common", "Uncommon", "Rare", "Mythical", "Legendary", "Immortal", "Arcana")
DOTA_QUALITIES = (
    "Standard",
    "Genuine",
    "Inscribed",
    "Heroic",
    "Unusual",
    "Autographed",
    "Corrupted",
    "Exalted",
    "Frozen",
    "Cursed",
    "Elder",
    "Auspicious",
)
SLOTS = ("Weapon", "Off-Hand", "Head", "Back", "Arms", "Shoulder", "Belt", "Legs", "Armor", "Mount", "Misc", "Taunt")

DOTA = GameSeed(
    "Dota 2",
    "Hero cosmetics, couriers and wards.",
    (
        CategorySeed(
            "Hero items",
            "Cosmetics worn by one hero in one slot.",
            (
                text("hero", "Hero", 40, required=True),
                enum("rarity", "Rarity", *DOTA_RARITIES, required=True),
                enum("quality", "Quality", *DOTA_QUALITIES),
                enum("slot", "Slot", *SLOTS, required=True),
            ),
            (
                t(
                    "Manifold Paradox",
                    "Phantom Assassin's arcana blade.",
                    hero="Phantom Assassin",
                    rarity="Arcana",
                    slot="Weapon",
                ),
                t(
                    "Blades of Voth Domosh",
                    "Legion Commander's arcana.",
                    hero="Legion Commander",
                    rarity="Arcana",
                    slot="Weapon",
                ),
                t("Demon Eater", "Shadow Fiend's arcana.", hero="Shadow Fiend", rarity="Arcana", slot="Misc"),
            ),
        ),
        CategorySeed(
            "Couriers",
            "Couriers that carry items to heroes.",
            (
                enum("rarity", "Rarity", *DOTA_RARITIES, required=True),
                enum("quality", "Quality", *DOTA_QUALITIES),
                text("effect", "Unusual effect", 60),
                flag("flying", "Flying"),
            ),
            (
                t("Golden Baby Roshan", rarity="Immortal", quality="Standard"),
                t("Baby Roshan", rarity="Rare", quality="Genuine"),
            ),
        ),
    ),
)

# Fortnite --------------------------------------------------------------------------------------

FORTNITE = GameSeed(
    "Fortnite",
    "Outfits, pickaxes, gliders and emotes.",
    (
        CategorySeed(
            "Cosmetics",
            "Locker items: outfits, back blings, pickaxes, gliders, emotes and wraps.",
            (
                enum(
                    "cosmetic_type",
                    "Cosmetic type",
                    "Outfit",
                    "Back Bling",
                    "Pickaxe",
                    "Glider",
                    "Emote",
                    "Wrap",
                    "Contrail",
                    "Loading Screen",
                    "Music",
                    required=True,
                ),
                enum(
                    "rarity",
                    "Rarity",
                    "Common",
                    "Uncommon",
                    "Rare",
                    "Epic",
                    "Legendary",
                    "Mythic",
                    "Icon Series",
                    "Gaming Legends",
                    "Marvel",
                    "DC",
                    "Star Wars",
                    required=True,
                ),
                text("set", "Set", 80),
            ),
            (
                t("Renegade Raider", "A season 1 outfit.", cosmetic_type="Outfit", rarity="Rare"),
                t("Black Knight", "The season 2 battle pass knight.", cosmetic_type="Outfit", rarity="Legendary"),
                t("Skull Trooper", cosmetic_type="Outfit", rarity="Epic", set="Skull Squad"),
                t("Reaper", "The pickaxe of John Wick's outfit.", cosmetic_type="Pickaxe", rarity="Uncommon"),
                t("Mako", "A shark-finned glider.", cosmetic_type="Glider", rarity="Uncommon"),
            ),
        ),
    ),
)

# General ---------------------------------------------------------------------------------------

CONDITION = enum("condition", "Condition", "New", "Like new", "Good", "Fair", "Poor", required=True)
BRAND = text("brand", "Brand", 80)
COLOR = text("color", "Color", 40)
MATERIAL = text("material", "Material", 60)


def size_cm(key: str, name: str) -> Attribute:
    return real(key, name, 0, 1000, "cm")


GENERAL = GameSeed(
    "General",
    "Everyday things sold person to person.",
    (
        CategorySeed(
            "Trading cards",
            "Collectible card game singles, graded or raw.",
            (
                enum(
                    "card_game",
                    "Game",
                    "Pokémon",
                    "Magic: The Gathering",
                    "Yu-Gi-Oh!",
                    "One Piece",
                    "Disney Lorcana",
                    "Other",
                    required=True,
                ),
                text("set", "Set", 100),
                enum(
                    "card_condition",
                    "Condition",
                    "Mint",
                    "Near Mint",
                    "Lightly Played",
                    "Moderately Played",
                    "Heavily Played",
                    "Damaged",
                    required=True,
                ),
                enum(
                    "language",
                    "Language",
                    "English",
                    "Japanese",
                    "German",
                    "French",
                    "Italian",
                    "Spanish",
                    "Korean",
                    "Chinese",
                    "Other",
                ),
                flag("graded", "Graded"),
                real("grade", "Grade", 1, 10),
                enum("grading_company", "Grading company", "PSA", "BGS", "CGC", "SGC", "Other"),
                flag("first_edition", "First edition"),
                whole("year", "Year", 1990, 2100),
            ),
            (
                t("Charizard (Base Set 4/102)", card_game="Pokémon", set="Base Set", year=1999),
                t(
                    "Black Lotus (Limited Edition Alpha)",
                    card_game="Magic: The Gathering",
                    set="Limited Edition Alpha",
                    year=1993,
                ),
                t(
                    "Blue-Eyes White Dragon (LOB-001)",
                    card_game="Yu-Gi-Oh!",
                    set="Legend of Blue Eyes White Dragon",
                    year=2002,
                ),
            ),
        ),
        CategorySeed(
            "Men's fashion",
            "Clothing and accessories for men.",
            (
                enum(
                    "clothing_type",
                    "Type",
                    "T-shirt",
                    "Shirt",
                    "Sweater",
                    "Hoodie",
                    "Jacket",
                    "Coat",
                    "Jeans",
                    "Trousers",
                    "Shorts",
                    "Suit",
                    "Accessories",
                    required=True,
                ),
                BRAND,
                enum("size", "Size", "XS", "S", "M", "L", "XL", "XXL", "3XL", required=True),
                COLOR,
                MATERIAL,
                CONDITION,
            ),
            (
                t("Levi's 501 Original Fit Jeans", clothing_type="Jeans", brand="Levi's", material="Denim"),
                t(
                    "Patagonia Better Sweater Fleece Jacket",
                    clothing_type="Jacket",
                    brand="Patagonia",
                    material="Polyester fleece",
                ),
                t("Ralph Lauren Custom Fit Polo Shirt", clothing_type="Shirt", brand="Ralph Lauren", material="Cotton"),
            ),
        ),
        CategorySeed(
            "Sneakers",
            "Sneakers, new in box or worn.",
            (
                BRAND,
                real("size_eu", "Size (EU)", 16, 52, "EU", required=True),
                text("colorway", "Colorway", 80),
                CONDITION,
                flag("original_box", "Original box"),
                whole("release_year", "Release year", 1970, 2100),
            ),
            (
                t("Nike Air Jordan 1 Retro High OG 'Chicago'", brand="Nike", colorway="White/Black-Varsity Red"),
                t(
                    "adidas Yeezy Boost 350 V2 'Zebra'",
                    brand="adidas",
                    colorway="White/Core Black/Red",
                    release_year=2017,
                ),
                t("New Balance 550 'White Green'", brand="New Balance", colorway="White/Green"),
            ),
        ),
        CategorySeed(
            "Sports cards",
            "Baseball, basketball, football and other sports cards.",
            (
                enum(
                    "sport", "Sport", "Baseball", "Basketball", "Football", "Soccer", "Hockey", "Other", required=True
                ),
                text("player", "Player", 80),
                whole("year", "Year", 1860, 2100),
                text("manufacturer", "Manufacturer", 60),
                flag("rookie", "Rookie card"),
                flag("autographed", "Autographed"),
                flag("graded", "Graded"),
                real("grade", "Grade", 1, 10),
            ),
            (
                t(
                    "1952 Topps Mickey Mantle #311",
                    sport="Baseball",
                    player="Mickey Mantle",
                    year=1952,
                    manufacturer="Topps",
                ),
                t(
                    "1986 Fleer Michael Jordan #57",
                    sport="Basketball",
                    player="Michael Jordan",
                    year=1986,
                    manufacturer="Fleer",
                    rookie=True,
                ),
                t(
                    "2003 Topps Chrome LeBron James #111",
                    sport="Basketball",
                    player="LeBron James",
                    year=2003,
                    manufacturer="Topps",
                    rookie=True,
                ),
            ),
        ),
        CategorySeed(
            "Collectibles",
            "Figures, coins, comics, memorabilia and other collectibles.",
            (
                enum(
                    "collectible_type",
                    "Type",
                    "Figure",
                    "Coin",
                    "Stamp",
                    "Toy",
                    "Comic",
                    "Memorabilia",
                    "Vinyl record",
                    "Other",
                    required=True,
                ),
                text("franchise", "Franchise", 80),
                whole("year", "Year", 1, 2100),
                flag("sealed", "In original packaging"),
                CONDITION,
            ),
            (
                t("Funko Pop! Darth Vader #01", collectible_type="Figure", franchise="Star Wars"),
                t("LEGO Star Wars Millennium Falcon 75192", collectible_type="Toy", franchise="Star Wars", year=2017),
                t(
                    "Amazing Fantasy #15",
                    "The first appearance of Spider-Man.",
                    collectible_type="Comic",
                    franchise="Marvel",
                    year=1962,
                ),
            ),
        ),
        CategorySeed(
            "Electronics",
            "Phones, computers, consoles, cameras and audio.",
            (
                enum(
                    "device_type",
                    "Type",
                    "Phone",
                    "Tablet",
                    "Laptop",
                    "Desktop",
                    "Console",
                    "Camera",
                    "Headphones",
                    "Smartwatch",
                    "TV",
                    "Other",
                    required=True,
                ),
                BRAND,
                text("model", "Model", 80),
                whole("storage_gb", "Storage", 0, 100_000, "GB"),
                CONDITION,
                flag("warranty", "Under warranty"),
            ),
            (
                t("Apple iPhone 15 Pro", device_type="Phone", brand="Apple", model="iPhone 15 Pro"),
                t("Sony PlayStation 5", device_type="Console", brand="Sony", model="PlayStation 5", storage_gb=825),
                t("Nintendo Switch OLED", device_type="Console", brand="Nintendo", model="Switch OLED", storage_gb=64),
            ),
        ),
        CategorySeed(
            "Home decor",
            "Lamps, rugs, mirrors, vases and wall art.",
            (
                enum(
                    "decor_type",
                    "Type",
                    "Lamp",
                    "Rug",
                    "Mirror",
                    "Vase",
                    "Wall art",
                    "Cushion",
                    "Candle",
                    "Clock",
                    "Plant pot",
                    "Other",
                    required=True,
                ),
                BRAND,
                MATERIAL,
                COLOR,
                size_cm("width_cm", "Width"),
                size_cm("height_cm", "Height"),
                CONDITION,
            ),
            (
                t("IKEA Fado Table Lamp", decor_type="Lamp", brand="IKEA", material="Glass", color="White"),
                t(
                    "Iittala Alvar Aalto Vase 160 mm",
                    decor_type="Vase",
                    brand="Iittala",
                    material="Glass",
                    height_cm=16,
                ),
                t("Kilim Rug 160 x 230 cm", decor_type="Rug", material="Wool", width_cm=160, height_cm=230),
            ),
        ),
        CategorySeed(
            "Beauty",
            "Skincare, makeup, fragrance and hair tools.",
            (
                enum(
                    "product_type",
                    "Type",
                    "Skincare",
                    "Makeup",
                    "Fragrance",
                    "Haircare",
                    "Nails",
                    "Tools",
                    "Other",
                    required=True,
                ),
                BRAND,
                real("volume_ml", "Volume", 0, 5000, "ml"),
                flag("sealed", "Sealed"),
                whole("expiry_year", "Expiry year", 2000, 2100),
            ),
            (
                t("Chanel N°5 Eau de Parfum 100 ml", product_type="Fragrance", brand="Chanel", volume_ml=100),
                t("Dyson Airwrap Complete", product_type="Tools", brand="Dyson"),
                t("La Mer Crème de la Mer 60 ml", product_type="Skincare", brand="La Mer", volume_ml=60),
            ),
        ),
        CategorySeed(
            "Kids and baby",
            "Clothes, toys, strollers and gear for children.",
            (
                enum(
                    "product_type",
                    "Type",
                    "Clothing",
                    "Toy",
                    "Stroller",
                    "Car seat",
                    "Furniture",
                    "Feeding",
                    "Books",
                    "Other",
                    required=True,
                ),
                enum(
                    "age_range", "Age", "0-6 months", "6-12 months", "1-2 years", "3-4 years", "5-7 years", "8-12 years"
                ),
                BRAND,
                CONDITION,
            ),
            (
                t("Bugaboo Fox 5 Stroller", product_type="Stroller", brand="Bugaboo"),
                t("LEGO DUPLO Large Creative Brick Box", product_type="Toy", brand="LEGO", age_range="1-2 years"),
                t("Stokke Tripp Trapp High Chair", product_type="Furniture", brand="Stokke"),
            ),
        ),
        CategorySeed(
            "Furniture",
            "Chairs, tables, sofas, beds and storage.",
            (
                enum(
                    "furniture_type",
                    "Type",
                    "Chair",
                    "Table",
                    "Sofa",
                    "Bed",
                    "Wardrobe",
                    "Shelf",
                    "Desk",
                    "Dresser",
                    "Other",
                    required=True,
                ),
                BRAND,
                MATERIAL,
                COLOR,
                size_cm("width_cm", "Width"),
                size_cm("depth_cm", "Depth"),
                size_cm("height_cm", "Height"),
                CONDITION,
                flag("assembly_required", "Needs assembly"),
            ),
            (
                t("IKEA Billy Bookcase", furniture_type="Shelf", brand="IKEA", width_cm=80, depth_cm=28, height_cm=202),
                t("Herman Miller Aeron Chair", furniture_type="Chair", brand="Herman Miller"),
                t(
                    "Eames Lounge Chair and Ottoman",
                    furniture_type="Chair",
                    brand="Herman Miller",
                    material="Leather and walnut",
                ),
            ),
        ),
        CategorySeed(
            "Books",
            "Novels, non-fiction, comics and textbooks.",
            (
                text("author", "Author", 120, required=True),
                enum(
                    "format", "Format", "Hardcover", "Paperback", "Mass market", "Board book", "Audiobook CD", "Other"
                ),
                text("language", "Language", 40),
                text("isbn", "ISBN", 17, filterable=False),
                whole("publication_year", "Publication year", 1450, 2100),
                CONDITION,
                flag("signed", "Signed"),
                flag("first_edition", "First edition"),
            ),
            (
                t("Harry Potter and the Philosopher's Stone", author="J. K. Rowling", publication_year=1997),
                t("Dune", author="Frank Herbert", publication_year=1965),
                t("The Hobbit", author="J. R. R. Tolkien", publication_year=1937),
            ),
        ),
        CategorySeed(
            "Other",
            "Everything that fits no other category.",
            (BRAND, CONDITION, text("kind", "What it is", 80)),
            (
                t("Gift card", kind="Gift card"),
                t("Concert ticket", kind="Ticket"),
                t("Bicycle", kind="Bicycle"),
            ),
        ),
    ),
)

CATALOG: tuple[GameSeed, ...] = (COUNTER_STRIKE, DOTA, FORTNITE, GENERAL)
