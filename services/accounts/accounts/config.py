"""The settings of accounts: the kit's, and those of its own, read from the environment once."""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from accounts.domain.sessions import TokenIssuer
from accounts.domain.throttling import ThrottlePolicy
from servicekit.auth import SigningKey
from servicekit.config import MissingSetting, Settings, env


@dataclass(frozen=True)
class AccountsSettings(Settings):
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    login_failures_per_account: int = ThrottlePolicy.per_account
    login_failures_per_client: int = ThrottlePolicy.per_client
    login_failure_window_seconds: int = int(ThrottlePolicy.window.total_seconds())
    # The admin account `seed` ensures; without a password it generates one and prints it.
    admin_email: str = "admin@example.com"
    admin_password: str = field(default="", repr=False)

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        return {
            "access_token_ttl_seconds": int(env("ACCESS_TOKEN_TTL_SECONDS", str(cls.access_token_ttl_seconds))),
            "refresh_token_ttl_seconds": int(env("REFRESH_TOKEN_TTL_SECONDS", str(cls.refresh_token_ttl_seconds))),
            "login_failures_per_account": int(env("LOGIN_FAILURES_PER_ACCOUNT", str(cls.login_failures_per_account))),
            "login_failures_per_client": int(env("LOGIN_FAILURES_PER_CLIENT", str(cls.login_failures_per_client))),
            "login_failure_window_seconds": int(
                env("LOGIN_FAILURE_WINDOW_SECONDS", str(cls.login_failure_window_seconds))
            ),
            "admin_email": env("ADMIN_EMAIL", cls.admin_email),
            "admin_password": env("ADMIN_PASSWORD", cls.admin_password),
        }

    @property
    def throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            per_account=self.login_failures_per_account,
            per_client=self.login_failures_per_client,
            window=timedelta(seconds=self.login_failure_window_seconds),
        )


def token_issuer(settings: AccountsSettings) -> TokenIssuer:
    """The issuer of the configured signing key (AUTH_SIGNING_KEY_FILE), which accounts cannot run without."""
    if settings.auth_signing_key_file is None:
        raise MissingSetting("environment variable AUTH_SIGNING_KEY_FILE is required: accounts signs tokens with it")
    # The JWKS file may list older keys beside the current one: publishing them lets
    # tokens signed before a key roll-over keep working until they expire.
    published = json.loads(settings.auth_jwks_file.read_text())["keys"] if settings.auth_jwks_file else []
    return TokenIssuer(
        SigningKey.from_pem(settings.auth_signing_key_file.read_bytes()),
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
        refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        published_keys=published,
    )
