"""What a running service holds: settings, its database, its runtime settings, token keys, its identity, suspended
users, channels, shared clients."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from servicekit.auth import TokenVerifier
from servicekit.config import Settings
from servicekit.db import Database
from servicekit.identity import ServiceIdentity, ServiceKeys, service_token_interceptors
from servicekit.runtime_settings import RuntimeSettings, SettingsStore
from servicekit.suspensions import SuspendedUsers

log = logging.getLogger("servicekit.runtime")

T = TypeVar("T")

# Spread calls over every address DNS gives (headless Services in Kubernetes list each pod).
CHANNEL_OPTIONS = [("grpc.lb_policy_name", "round_robin")]


class Runtime:
    def __init__(
        self,
        settings: Settings,
        verifier: TokenVerifier | None = None,
        runtime_settings: type[RuntimeSettings] | None = None,
    ) -> None:
        self.settings = settings
        self.db = Database(settings.database_url, settings.pool)
        # Its runtime settings, when it declares some; the server keeps them current (follow).
        self.runtime_settings = (
            SettingsStore(self.db, runtime_settings(**settings.runtime_setting_defaults()), service=settings.service)
            if runtime_settings is not None
            else None
        )
        self.verifier = verifier or _verifier_from_settings(settings)
        self.service_keys = ServiceKeys.from_file(settings.service_keys_file, audience=settings.service)
        self.identity = (
            ServiceIdentity.from_file(settings.service, settings.service_key_file)
            if settings.service_key_file
            else None
        )
        if self.identity is None:
            log.warning("no SERVICE_KEY_FILE: internal methods of other services will refuse this one")
        self.suspended = SuspendedUsers()
        # Where this process serves, once it does: accounts follows its own feed like any replica.
        self.own_address: str | None = None
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._shared: dict[str, tuple[Any, Callable[[Any], Awaitable[None]]]] = {}

    def channel(self, context: str) -> grpc.aio.Channel:
        """A shared channel to another context (or to this process itself), opened on first use,
        whose calls carry this service's token for that context."""
        if context not in self._channels:
            address = self.settings.addresses.get(context)
            if address is None and context == self.settings.service:
                address = self.own_address
            if address is None:
                raise KeyError(f"no address for {context}")
            target = f"dns:///{address}"
            interceptors = service_token_interceptors(self.identity, context) if self.identity else []
            self._channels[context] = grpc.aio.insecure_channel(
                target, options=CHANNEL_OPTIONS, interceptors=interceptors
            )
        return self._channels[context]

    def shared(self, name: str, make: Callable[[], T], close: Callable[[T], Awaitable[None]]) -> T:
        """A client the service's parts share (a search engine's), made on first use and closed with the runtime."""
        if name not in self._shared:
            self._shared[name] = (make(), close)
        return self._shared[name][0]

    async def close(self) -> None:
        for resource, close in self._shared.values():
            await close(resource)
        for channel in self._channels.values():
            await channel.close()
        await self.db.dispose()


def _verifier_from_settings(settings: Settings) -> TokenVerifier:
    """The configured keys (AUTH_JWKS_FILE) when there are some; accounts' published keys are added as fetched."""
    if settings.auth_jwks_file is None:
        return TokenVerifier({"keys": []}, issuer=settings.auth_issuer, audience=settings.auth_audience)
    return TokenVerifier.from_file(
        settings.auth_jwks_file, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
