"""How the kit runs the catalog: its servicers, outbox, seed, runtime settings and bench."""

from catalog import ROOT
from catalog.api import CatalogApi
from catalog.domain.settings import CatalogRuntimeSettings
from catalog.models import OutboxEvent
from catalog.seed import seed
from marketplace.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from servicekit.runtime import Runtime
from servicekit.server import Command, Registration, ServiceSpec


def servicers(runtime: Runtime) -> list[Registration]:
    return [
        Registration(
            CatalogApi(runtime.db, runtime.runtime_settings),
            catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server,
            catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"],
        )
    ]


SPEC = ServiceSpec(
    name="catalog",
    root=ROOT,
    servicers=servicers,
    outbox=OutboxEvent,
    seed=seed,
    runtime_settings=CatalogRuntimeSettings,
    commands={
        "bench": Command(
            "catalog.bench", "time the typed item filter on many items, with the value indexes and without"
        )
    },
)
