"""Demo data of the catalog (`python -m catalog seed`): safe to run again."""

from sqlalchemy.dialects.postgresql import insert

from catalog.models import Game
from servicekit.runtime import Runtime

GAMES = [
    ("Counter-Strike 2", "Weapon skins, knives, gloves and stickers.", ""),
    ("Dota 2", "Hero cosmetics, couriers and wards.", ""),
    ("Fortnite", "Outfits, pickaxes, gliders and emotes.", ""),
    ("General", "Everyday things sold person to person.", ""),
]


async def seed(runtime: Runtime) -> None:
    async with runtime.db.begin() as session:
        await session.execute(
            insert(Game)
            .values([{"name": name, "description": description, "logo_url": logo} for name, description, logo in GAMES])
            .on_conflict_do_nothing(index_elements=["name"])
        )
