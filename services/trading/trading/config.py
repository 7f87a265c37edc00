"""The settings of trading: the kit's, and those of its own, read from the environment once."""

from dataclasses import dataclass
from typing import Any

from servicekit.config import InvalidSetting, Settings, env, env_number
from trading.search import DENSE_CATEGORY_SHARE, DENSE_FILTER_VALUES, EXACT_TOTAL_LIMIT, SPARSE_PART_MATCHES

# Where the purchase saga may be told to kill its process (SAGA_FAULT), each just after that effect.
SAGA_FAULTS = ("reserve", "hold", "pay", "transfer", "capture", "close", "settle")


@dataclass(frozen=True)
class TradingSettings(Settings):
    # How often the sweeper marks the offers past their expiry (they read as expired at once anyway).
    offer_sweep_seconds: float = 60.0
    # How often the buy-order matcher reads the listings announced on sale (trading.consumers).
    buy_order_match_seconds: float = 0.2
    # How often the sweeper expires the open buy orders past their expiry and releases their holds.
    buy_order_sweep_seconds: float = 60.0
    # How often the reconciler looks for purchases a crash or an unreachable context left half-way.
    reconcile_seconds: float = 10.0
    # How long a purchase may stay between two steps before the reconciler takes it over: longer than a
    # request drives one (its calls have CALL_TIMEOUT_SECONDS each).
    saga_grace_seconds: float = 30.0
    # Fault injection for the crash tests: the saga step after which the process kills itself. Never set
    # in production.
    saga_fault: str = ""
    # Where the Elasticsearch that serves listing search is; empty: trading searches with PostgreSQL.
    elasticsearch_url: str = ""
    # Up to how many matches PostgreSQL search counts exactly; past it the total and facets are estimates.
    search_exact_total_limit: int = EXACT_TOTAL_LIMIT
    # A filter matching more value rows than this is checked per listing of PostgreSQL's page
    # (trading.search.postgres._dense).
    search_dense_filter_values: int = DENSE_FILTER_VALUES
    # A category holding more than this share of the listings is checked per listing where words lead
    # (trading.search.postgres._dense); 1 never.
    search_dense_category_share: float = DENSE_CATEGORY_SHARE
    # A part of a search's words with no more matches than this is read whole through the words' index
    # (trading.search.postgres._sparse_ids); 0 walks every part by primary key.
    search_sparse_part_matches: int = SPARSE_PART_MATCHES
    # The alias searches read; the physical indexes behind it are named after it (trading.search.index).
    elasticsearch_index: str = "listings"

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        fault = env("SAGA_FAULT", "")
        if fault and fault not in SAGA_FAULTS:
            raise InvalidSetting(f"SAGA_FAULT must be one of {', '.join(SAGA_FAULTS)}, not {fault!r}")
        return {
            "offer_sweep_seconds": env_number("OFFER_SWEEP_SECONDS", cls.offer_sweep_seconds, 0.1),
            "buy_order_match_seconds": env_number("BUY_ORDER_MATCH_SECONDS", cls.buy_order_match_seconds, 0.01),
            "buy_order_sweep_seconds": env_number("BUY_ORDER_SWEEP_SECONDS", cls.buy_order_sweep_seconds, 0.1),
            "reconcile_seconds": env_number("RECONCILE_SECONDS", cls.reconcile_seconds, 0.1),
            "saga_grace_seconds": env_number("SAGA_GRACE_SECONDS", cls.saga_grace_seconds, 0.1),
            "saga_fault": fault,
            "elasticsearch_url": env("ELASTICSEARCH_URL", ""),
            "search_exact_total_limit": int(env_number("SEARCH_EXACT_TOTAL_LIMIT", cls.search_exact_total_limit, 1)),
            "search_dense_filter_values": int(
                env_number("SEARCH_DENSE_FILTER_VALUES", cls.search_dense_filter_values, 0)
            ),
            "search_dense_category_share": env_number(
                "SEARCH_DENSE_CATEGORY_SHARE", cls.search_dense_category_share, 0.0
            ),
            "search_sparse_part_matches": int(
                env_number("SEARCH_SPARSE_PART_MATCHES", cls.search_sparse_part_matches, 0)
            ),
            "elasticsearch_index": env("ELASTICSEARCH_INDEX", cls.elasticsearch_index),
        }
