"""The settings of trading: the kit's, and those of its own, read from the environment once."""

from dataclasses import dataclass
from typing import Any

from servicekit.config import Settings, env_number


@dataclass(frozen=True)
class TradingSettings(Settings):
    # How often the sweeper marks the offers past their expiry (they read as expired at once anyway).
    offer_sweep_seconds: float = 60.0

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        return {"offer_sweep_seconds": env_number("OFFER_SWEEP_SECONDS", cls.offer_sweep_seconds, 0.1)}
