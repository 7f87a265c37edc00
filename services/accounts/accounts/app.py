"""How the kit runs accounts: its servicers, outbox and seed."""

from datetime import timedelta
from pathlib import Path

from accounts.api import AccountsApi
from accounts.domain import DEFAULT_THROTTLE, ThrottlePolicy
from accounts.models import OutboxEvent
from accounts.seed import seed
from accounts.tokens import TokenIssuer
from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from servicekit.config import env
from servicekit.runtime import Runtime
from servicekit.server import Registration, ServiceSpec


def throttle_from_env() -> ThrottlePolicy:
    """LOGIN_FAILURES_PER_ACCOUNT (5), LOGIN_FAILURES_PER_CLIENT (100), LOGIN_FAILURE_WINDOW_SECONDS (900)."""
    return ThrottlePolicy(
        per_account=int(env("LOGIN_FAILURES_PER_ACCOUNT", str(DEFAULT_THROTTLE.per_account))),
        per_client=int(env("LOGIN_FAILURES_PER_CLIENT", str(DEFAULT_THROTTLE.per_client))),
        window=timedelta(
            seconds=int(env("LOGIN_FAILURE_WINDOW_SECONDS", str(int(DEFAULT_THROTTLE.window.total_seconds()))))
        ),
    )


def servicers(runtime: Runtime) -> list[Registration]:
    api = AccountsApi(
        runtime.db,
        TokenIssuer.from_settings(runtime.settings),
        suspended=runtime.suspended,
        development=runtime.settings.development,
        throttle=throttle_from_env(),
    )
    return [
        Registration(
            api,
            accounts_service_pb2_grpc.add_AccountsServiceServicer_to_server,
            accounts_service_pb2.DESCRIPTOR.services_by_name["AccountsService"],
        )
    ]


SPEC = ServiceSpec(
    name="accounts",
    root=Path(__file__).resolve().parent.parent,
    servicers=servicers,
    outbox=OutboxEvent,
    seed=seed,
)
