"""How the kit runs accounts: its servicers, outbox and seed."""

from pathlib import Path

from accounts.api import AccountsApi
from accounts.models import OutboxEvent
from accounts.seed import seed
from accounts.tokens import TokenIssuer
from marketplace.accounts.v1 import accounts_service_pb2, accounts_service_pb2_grpc
from servicekit.runtime import Runtime
from servicekit.server import Registration, ServiceSpec


def servicers(runtime: Runtime) -> list[Registration]:
    return [
        Registration(
            AccountsApi(runtime.db, TokenIssuer.from_settings(runtime.settings)),
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
