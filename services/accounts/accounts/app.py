"""How the kit runs accounts: its settings, runtime settings, servicers, outbox, partitioned ledger, seed
and bench."""

from pathlib import Path

from accounts.api import AccountsApi
from accounts.config import AccountsSettings, token_issuer
from accounts.domain.settings import AccountsRuntimeSettings
from accounts.models import LEDGER_ENTRIES, OutboxEvent
from accounts.seed import seed
from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from servicekit.runtime import Runtime
from servicekit.server import Command, Registration, ServiceSpec


def servicers(runtime: Runtime) -> list[Registration]:
    settings: AccountsSettings = runtime.settings
    api = AccountsApi(
        runtime.db,
        runtime.runtime_settings,
        token_issuer(settings),
        suspended=runtime.suspended,
        development=settings.development,
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
    partitioned=[LEDGER_ENTRIES],
    settings=AccountsSettings,
    runtime_settings=AccountsRuntimeSettings,
    # The bench drives a private stack with devstack, which the service's image lacks.
    commands={
        "bench": Command(
            "accounts.bench", "Measure the ledger: Hold then Capture over gRPC beside the same posting in bare SQL."
        )
    },
)
