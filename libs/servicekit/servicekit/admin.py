"""The admin methods every context's service declares alike: its settings and its audit log."""

from grpc.aio import ServicerContext

from marketplace.common.v1 import audit_pb2, settings_pb2
from servicekit import audit
from servicekit.auth import require_caller
from servicekit.db import Database
from servicekit.runtime_settings import SettingsStore
from servicekit.runtime_settings.messages import get_settings, update_settings


class AdminMethods:
    """GetSettings, UpdateSettings and ListAuditEntries for a context's servicer, which lists this class
    before its generated base (`class TradingApi(AdminMethods, TradingServiceServicer)`) and passes its
    database and settings to `__init__`."""

    def __init__(self, db: Database, runtime_settings: SettingsStore) -> None:
        self._db = db
        self._runtime_settings = runtime_settings

    async def GetSettings(
        self, request: settings_pb2.GetSettingsRequest, context: ServicerContext
    ) -> settings_pb2.Settings:
        return await get_settings(self._runtime_settings, require_caller())

    async def UpdateSettings(
        self, request: settings_pb2.UpdateSettingsRequest, context: ServicerContext
    ) -> settings_pb2.Settings:
        return await update_settings(self._runtime_settings, require_caller(), request)

    async def ListAuditEntries(
        self, request: audit_pb2.ListAuditEntriesRequest, context: ServicerContext
    ) -> audit_pb2.ListAuditEntriesResponse:
        return await audit.list_entries(self._db, require_caller(), request)
