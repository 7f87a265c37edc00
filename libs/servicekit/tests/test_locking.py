"""A locking read answers the row as it is once locked, not as the session read it before the lock."""

import uuid

import pytest
from sqlalchemy import Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from devstack.postgres import create_database, drop_database, service_url
from servicekit.db import Database, locking, new_metadata, uuid_pk


class Base(DeclarativeBase):
    metadata = new_metadata()


class Door(Base):
    __tablename__ = "doors"

    id: Mapped[uuid_pk]
    status: Mapped[str] = mapped_column(Text)


@pytest.fixture
async def db(pg_server):
    name = f"locking_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    database = Database(service_url(pg_server, name))
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()
    await drop_database(pg_server, name)


@pytest.mark.parametrize("lock", [{}, {"key_share": True}, {"read": True}], ids=["update", "no-key-update", "share"])
async def test_a_row_read_before_the_lock_is_read_again_under_it(db, lock):
    async with db.begin() as session:
        door = Door(status="open")
        session.add(door)
    async with db.begin() as session:
        before = await session.get(Door, door.id)
        async with db.begin() as other:
            (await other.get(Door, door.id)).status = "closed"
        locked = await session.scalar(locking(select(Door).where(Door.id == door.id), **lock))
        assert locked is before and locked.status == "closed"
