"""Where runtime settings live: a table in the context's database, and a copy in every replica's memory.

Readers take values from memory, synchronously (`store.values.platform_fee_bps`). A change is written,
audited and announced in one transaction: the rows of `runtime_settings` (only the settings an admin
set; the others have their defaults), an entry per changed setting in the audit log, and a NOTIFY on
the context's channel (`<context>_settings`), which PostgreSQL delivers at commit, to every replica
listening on that database. Each replica keeps one connection of its own (outside the pool) LISTENing,
and reloads every value when a notification comes, and whenever that connection (re)starts: after
LISTEN and before it waits, so nothing committed in between is missed, and a replica that starts, or
whose connection dropped, catches up. The replica that made the change reloads at once, so its next
read shows it.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, String, column, delete, func, select, table, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from servicekit import audit
from servicekit.db import Database
from servicekit.errors import FieldViolation, InvalidArgument
from servicekit.runtime_settings.declarations import RuntimeSettings, decode, encode, field_path

log = logging.getLogger("servicekit.runtime_settings")

S = TypeVar("S", bound=RuntimeSettings)
# Changes name a setting's new value, or DEFAULT to give it back its default.
DEFAULT = object()
SETTING_CHANGED = "settings.changed"


class RuntimeSettingMixin:
    """Columns of a service's `runtime_settings` table: the settings an admin set, as JSON."""

    __tablename__ = "runtime_settings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_SETTINGS = table(
    RuntimeSettingMixin.__tablename__,
    column("name", String),
    column("value", JSONB),
    column("updated_by", String),
    column("updated_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Snapshot(Generic[S]):
    """Every value, and when the newest stored one was set (None while all have their defaults)."""

    values: S
    update_time: datetime | None


class SettingsStore(Generic[S]):
    """A context's runtime settings: the values in memory, kept current, and their changes."""

    def __init__(self, db: Database, defaults: S, *, service: str) -> None:
        self._db = db
        self.defaults = defaults.checked()
        self.service = service
        self.channel = f"{service}_settings"
        self.snapshot: Snapshot[S] = Snapshot(self.defaults, None)
        self.loaded = asyncio.Event()
        # Reloads take turns, so one that began after a commit always ends last.
        self._reloading = asyncio.Lock()

    @property
    def values(self) -> S:
        return self.snapshot.values

    def _snapshot(self, rows: list) -> Snapshot[S]:
        """The defaults with the stored values that still fit their declarations (code may have changed)."""
        declarations = self.defaults.declarations()
        values: dict[str, Any] = {}
        for name, raw, _ in rows:
            problems: list[FieldViolation] = []
            if name not in declarations:
                log.warning("%s has a stored setting %s that it no longer declares; ignored", self.service, name)
                continue
            value = decode(declarations[name], raw, name, problems)
            if problems:
                log.warning("%s's stored %s no longer fits: %s; using the default", self.service, name, problems)
                continue
            values[name] = value
        update_time = max((updated_at for _, _, updated_at in rows), default=None)
        return Snapshot(dataclasses.replace(self.defaults, **values), update_time)

    async def _stored(self, session: AsyncSession) -> list:
        statement = select(_SETTINGS.c.name, _SETTINGS.c.value, _SETTINGS.c.updated_at)
        return list(await session.execute(statement))

    async def reload(self) -> None:
        async with self._reloading, self._db.read() as session:
            self.snapshot = self._snapshot(await self._stored(session))
        self.loaded.set()

    async def _listen(self, keepalive_seconds: float) -> None:
        """Reloads on every notification of one listening connection, until it is lost."""
        notified = asyncio.Event()
        connection = await self._db.connect_outside_pool(f"{self.service} settings listener")
        try:
            await connection.add_listener(self.channel, lambda *_: notified.set())
            connection.add_termination_listener(lambda *_: notified.set())
            await self.reload()
            while True:
                try:
                    async with asyncio.timeout(keepalive_seconds):
                        await notified.wait()
                except TimeoutError:
                    # A connection that died without a word (a cut network) fails here.
                    await connection.execute("SELECT 1")
                    continue
                notified.clear()
                if connection.is_closed():
                    return
                await self.reload()
        finally:
            connection.terminate()

    async def follow(self, retry_seconds: float = 1.0, keepalive_seconds: float = 5.0) -> None:
        """Keeps the values current until cancelled: reloads on every notification, and on (re)connecting."""
        while True:
            try:
                await self._listen(keepalive_seconds)
                log.warning("%s lost its settings listener; listening and loading again", self.service)
            except Exception as exc:  # whatever it was, the values must keep following the database
                log.warning("%s could not follow its settings (%r); trying again", self.service, exc)
            await asyncio.sleep(retry_seconds)

    async def change(self, changes: Mapping[str, Any]) -> None:
        """Stores the changes (name -> value, or DEFAULT) with an audit entry each, announces them, and reloads.

        Settings are changed one transaction at a time (the table's lock), so each entry's `before` is
        what the change replaced. A value equal to the current one changes nothing and leaves no entry;
        rules between settings are checked against the values the change leaves.
        """
        declarations = self.defaults.declarations()
        async with self._db.begin() as session:
            await session.execute(text(f"LOCK TABLE {_SETTINGS.name} IN EXCLUSIVE MODE"))
            stored = await self._stored(session)
            current = self._snapshot(stored).values
            after = dataclasses.replace(
                current, **{name: getattr(self.defaults, name) if v is DEFAULT else v for name, v in changes.items()}
            )
            if conflicts := after.conflicts():
                raise InvalidArgument(
                    [FieldViolation(field_path(declarations[name]), problem) for name, problem in conflicts.items()]
                )
            stored_names = {name for name, _, _ in stored}
            written = False
            for name, value in changes.items():
                if not await self._write(session, name, value, stored_names, current):
                    continue
                written = True
                declaration = declarations[name]
                before, now = encode(declaration, getattr(current, name)), encode(declaration, getattr(after, name))
                await audit.record(session, SETTING_CHANGED, "setting", name, before={name: before}, after={name: now})
            if written:
                await session.execute(select(func.pg_notify(self.channel, "")))
        await self.reload()

    async def _write(self, session: AsyncSession, name: str, value: Any, stored: set[str], current: S) -> bool:
        """Stores one setting's new value, or deletes it to give back its default; False when nothing changes."""
        if value is DEFAULT:
            if name not in stored:
                return False
            await session.execute(delete(_SETTINGS).where(_SETTINGS.c.name == name))
            return True
        if value == getattr(current, name):
            return False
        row = {"name": name, "value": encode(self.defaults.declarations()[name], value), "updated_by": audit.actor()}
        upsert = insert(_SETTINGS).values(row)
        await session.execute(
            upsert.on_conflict_do_update(index_elements=["name"], set_={**row, "updated_at": func.now()})
        )
        return True
