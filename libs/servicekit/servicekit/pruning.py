"""Deleting the rows of a table past an age, a batch per statement, so that no lock is held long."""

from datetime import timedelta

from sqlalchemy import Column, Connection, Delete, Table, delete, func, select, tuple_

BATCH = 5000


def deleting_a_batch(table: Table, age: Column, key: list[Column], older_than: timedelta) -> Delete:
    """The statement that deletes up to BATCH rows whose `age` is older than older_than, found by their primary
    `key` (through an index on `age`)."""
    oldest_kept = select(func.now() - older_than).scalar_subquery()
    batch = select(*key).where(age < oldest_kept).limit(BATCH)
    return delete(table).where(tuple_(*key).in_(batch))


def prune(connection: Connection, table: Table, age: Column, key: list[Column], older_than: timedelta) -> int:
    """Deletes the rows whose `age` is older than older_than, a batch per statement; how many. On a connection in
    autocommit."""
    statement = deleting_a_batch(table, age, key, older_than)
    deleted = 0
    while count := connection.execute(statement).rowcount:
        deleted += count
    return deleted
