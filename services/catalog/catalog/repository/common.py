"""What the queries of every resource share: row locks."""

from typing import Literal

from sqlalchemy import Select

Lock = Literal["share", "update"] | None


def locked(stmt: Select, lock: Lock) -> Select:
    if lock is None:
        return stmt
    # A row read earlier in the transaction is read again: it may have changed while the lock waited.
    return stmt.with_for_update(read=lock == "share").execution_options(populate_existing=True)
