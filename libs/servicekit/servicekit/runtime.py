"""What a running service holds: settings, its database, token keys, channels to others."""

from pathlib import Path

import grpc

from servicekit.auth import TokenVerifier
from servicekit.config import Settings
from servicekit.db import Database

# Spread calls over every address DNS gives (headless Services in Kubernetes list each pod).
CHANNEL_OPTIONS = [("grpc.lb_policy_name", "round_robin")]


class Runtime:
    def __init__(self, settings: Settings, verifier: TokenVerifier | None = None) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.verifier = verifier or _verifier_from_settings(settings)
        self._channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, context: str) -> grpc.aio.Channel:
        """A shared channel to another context, opened on first use."""
        if context not in self._channels:
            target = f"dns:///{self.settings.addresses[context]}"
            self._channels[context] = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
        return self._channels[context]

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
        await self.db.dispose()


def _verifier_from_settings(settings: Settings) -> TokenVerifier | None:
    path: Path | None = settings.auth_jwks_file
    if path is None:
        return None
    return TokenVerifier.from_file(path, issuer=settings.auth_issuer, audience=settings.auth_audience)
