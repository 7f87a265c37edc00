"""Trading's runtime settings: what its admins tune while it runs."""

from dataclasses import dataclass
from datetime import timedelta

from servicekit.runtime_settings import ON, Flag, RuntimeSettings, setting
from servicekit.runtime_settings.declarations import seconds_text


@dataclass(frozen=True)
class TradingRuntimeSettings(RuntimeSettings):
    """What trading's admins tune while it runs (GET|PATCH /v1/trading/settings)."""

    platform_fee_bps: int = setting(
        500, "The marketplace's fee on each sale, in basis points of the price (500 is 5%).", minimum=0, maximum=5000
    )
    offer_default_lifetime: timedelta = setting(
        timedelta(days=2),
        "How long an offer stays open when its buyer sets no expiry.",
        minimum=timedelta(minutes=5),
        maximum=timedelta(days=30),
    )
    offer_max_lifetime: timedelta = setting(
        timedelta(days=7),
        "The longest a buyer may keep an offer open.",
        minimum=timedelta(minutes=5),
        maximum=timedelta(days=30),
    )
    auto_complete_after: timedelta = setting(
        timedelta(days=14),
        "How long a paid purchase of a physical item waits for its buyer to confirm receipt before it "
        "completes by itself and pays the seller.",
        minimum=timedelta(days=1),
        maximum=timedelta(days=60),
    )
    buy_order_default_lifetime: timedelta = setting(
        timedelta(days=30),
        "How long a buy order stays open when its buyer sets no expiry.",
        minimum=timedelta(hours=1),
        maximum=timedelta(days=365),
    )
    buy_order_max_lifetime: timedelta = setting(
        timedelta(days=90),
        "The longest a buyer may keep a buy order (and its hold) open.",
        minimum=timedelta(hours=1),
        maximum=timedelta(days=365),
    )
    saved_search_limit: int = setting(
        50, "The most saved searches one user keeps; past it, saving another is refused.", minimum=0, maximum=1000
    )
    offers_enabled: Flag = setting(ON, "Buyers may make offers on listings.")
    streams_enabled: Flag = setting(ON, "Sellers may schedule and run live streams.")
    buy_orders_enabled: Flag = setting(ON, "Buyers may place buy orders.")

    def conflicts(self) -> dict[str, str]:
        found = {}
        if self.offer_default_lifetime > self.offer_max_lifetime:
            limit = seconds_text(self.offer_max_lifetime)
            found["offer_default_lifetime"] = f"must not be longer than offer_max_lifetime ({limit})"
        if self.buy_order_default_lifetime > self.buy_order_max_lifetime:
            limit = seconds_text(self.buy_order_max_lifetime)
            found["buy_order_default_lifetime"] = f"must not be longer than buy_order_max_lifetime ({limit})"
        return found
