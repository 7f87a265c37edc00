"""Standing queries: what a listing must be to match a query kept to be matched against every listing
that goes on sale or changes (services/trading/README.md, "Buy orders", "Matching"). A buy order is
one kind; another kind (a saved search) stores its predicates the same way and is matched by the same
query."""

import enum
from dataclasses import dataclass
from uuid import UUID

from servicekit.filters import Filter
from servicekit.geo import Point
from servicekit.money import Money
from trading.domain.listings import Condition


class StandingQueryKind(enum.StrEnum):
    BUY_ORDER = "buy_order"


@dataclass(frozen=True)
class Predicates:
    """What a listing must be to match a standing query, typed: its category (or game), words its text
    holds, attribute filters parsed against the category, conditions, a circle, and a price cap."""

    category_id: UUID | None
    game_id: UUID | None
    words: str = ""
    filters: tuple[Filter, ...] = ()
    conditions: tuple[Condition, ...] = ()
    near: Point | None = None
    radius_km: float | None = None
    max_price: Money | None = None
