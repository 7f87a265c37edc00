"""What the queries of every resource share: row locks."""

from typing import Literal

from sqlalchemy import Select

from servicekit.db import locking

Lock = Literal["share", "update"] | None


def locked(stmt: Select, lock: Lock) -> Select:
    """`stmt` locking its rows FOR SHARE or FOR UPDATE as asked (the kit's locking read), or as it is."""
    return stmt if lock is None else locking(stmt, read=lock == "share")
