"""What accounts' admins tune while it runs (GET|PATCH /v1/accounts/settings): registration and sign-in throttling.

The throttle thresholds take their defaults from the environment (AccountsSettings.runtime_setting_defaults):
a value an admin sets wins on every replica; one never set, or set back to its default, follows the environment.
"""

from dataclasses import dataclass
from datetime import timedelta

from accounts.domain.throttling import Limit, ThrottlePolicy
from servicekit.runtime_settings import RuntimeSettings, setting

_THROTTLE = ThrottlePolicy()
_ATTEMPTS = {"minimum": 1, "maximum": 1_000_000}
_WINDOW = {"minimum": timedelta(seconds=1), "maximum": timedelta(days=7)}


@dataclass(frozen=True)
class AccountsRuntimeSettings(RuntimeSettings):
    registration_open: bool = setting(
        True, "Whether people may register; while false, registration is refused (REGISTRATION_CLOSED)."
    )
    login_failures_per_account_and_client: int = setting(
        _THROTTLE.per_account_and_client.attempts,
        "Failed sign-ins of one account from one client within login_failure_window before that pair waits.",
        **_ATTEMPTS,
    )
    login_failures_per_client: int = setting(
        _THROTTLE.per_client.attempts,
        "Failed sign-ins from one client, whatever the accounts, within login_failure_window before it waits.",
        **_ATTEMPTS,
    )
    login_failure_window: timedelta = setting(
        _THROTTLE.per_client.window, "The window of the two limits above, from its first failure.", **_WINDOW
    )
    login_failures_per_account: int = setting(
        _THROTTLE.per_account.attempts,
        "Failed sign-ins of one account from everywhere within login_account_failure_window before it waits.",
        **_ATTEMPTS,
    )
    login_account_failure_window: timedelta = setting(
        _THROTTLE.per_account.window, "The window of login_failures_per_account.", **_WINDOW
    )
    registrations_per_client: int = setting(
        _THROTTLE.registrations_per_client.attempts,
        "Registrations, refused or not, from one client within registration_window before it waits.",
        **_ATTEMPTS,
    )
    registration_window: timedelta = setting(
        _THROTTLE.registrations_per_client.window, "The window of registrations_per_client.", **_WINDOW
    )

    @property
    def throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            per_account_and_client=Limit(self.login_failures_per_account_and_client, self.login_failure_window),
            per_client=Limit(self.login_failures_per_client, self.login_failure_window),
            per_account=Limit(self.login_failures_per_account, self.login_account_failure_window),
            registrations_per_client=Limit(self.registrations_per_client, self.registration_window),
        )
