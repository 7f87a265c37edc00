"""The settings of accounts: the kit's, and those of its own, read from the environment once."""

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from accounts.domain.sessions import TokenIssuer
from accounts.domain.settings import AccountsRuntimeSettings
from servicekit.auth import SigningKey
from servicekit.config import MissingSetting, Settings, env

_RUNTIME = AccountsRuntimeSettings()


@dataclass(frozen=True)
class AccountsSettings(Settings):
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # A rotated refresh token that comes back this soon is a client's retry, not a theft.
    refresh_token_reuse_grace_seconds: int = 10
    # The defaults of the throttling runtime settings (domain.settings): per account and client pair, per
    # client, per account, registrations per client. A value an admin sets wins over these.
    login_failures_per_account_and_client: int = _RUNTIME.login_failures_per_account_and_client
    login_failures_per_client: int = _RUNTIME.login_failures_per_client
    login_failure_window_seconds: int = int(_RUNTIME.login_failure_window.total_seconds())
    login_failures_per_account: int = _RUNTIME.login_failures_per_account
    login_account_failure_window_seconds: int = int(_RUNTIME.login_account_failure_window.total_seconds())
    registrations_per_client: int = _RUNTIME.registrations_per_client
    registration_window_seconds: int = int(_RUNTIME.registration_window.total_seconds())
    # The admin account `seed` ensures; without a password it generates one and prints it.
    admin_email: str = "admin@example.com"
    admin_password: str = field(default="", repr=False)

    @classmethod
    def own_from_env(cls) -> dict[str, Any]:
        numbers = {
            "access_token_ttl_seconds": "ACCESS_TOKEN_TTL_SECONDS",
            "refresh_token_ttl_seconds": "REFRESH_TOKEN_TTL_SECONDS",
            "refresh_token_reuse_grace_seconds": "REFRESH_TOKEN_REUSE_GRACE_SECONDS",
            "login_failures_per_account_and_client": "LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT",
            "login_failures_per_client": "LOGIN_FAILURES_PER_CLIENT",
            "login_failure_window_seconds": "LOGIN_FAILURE_WINDOW_SECONDS",
            "login_failures_per_account": "LOGIN_FAILURES_PER_ACCOUNT",
            "login_account_failure_window_seconds": "LOGIN_ACCOUNT_FAILURE_WINDOW_SECONDS",
            "registrations_per_client": "REGISTRATIONS_PER_CLIENT",
            "registration_window_seconds": "REGISTRATION_WINDOW_SECONDS",
        }
        values: dict[str, Any] = {
            name: int(env(variable, str(getattr(cls, name)))) for name, variable in numbers.items()
        }
        values["admin_email"] = env("ADMIN_EMAIL", cls.admin_email)
        values["admin_password"] = env("ADMIN_PASSWORD", cls.admin_password)
        return values

    def runtime_setting_defaults(self) -> dict[str, Any]:
        return {
            "login_failures_per_account_and_client": self.login_failures_per_account_and_client,
            "login_failures_per_client": self.login_failures_per_client,
            "login_failure_window": timedelta(seconds=self.login_failure_window_seconds),
            "login_failures_per_account": self.login_failures_per_account,
            "login_account_failure_window": timedelta(seconds=self.login_account_failure_window_seconds),
            "registrations_per_client": self.registrations_per_client,
            "registration_window": timedelta(seconds=self.registration_window_seconds),
        }


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
        refresh_reuse_grace=timedelta(seconds=settings.refresh_token_reuse_grace_seconds),
        published_keys=published,
    )
