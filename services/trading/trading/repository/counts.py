"""Rows counted per subject (a listing, a stream): likes, one per user and subject (their primary key), and
rows appended one per event (views, shares, comments). A count reads the index on the subject's id alone."""

from uuid import UUID

from sqlalchemy import ColumnElement, ScalarSelect, delete, exists, false, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

Subject = UUID | ColumnElement[UUID]


def count_of(subject: InstrumentedAttribute[UUID], subject_id: Subject) -> ScalarSelect[int]:
    """How many rows name the subject; `subject_id` may be a column of the outer query, for a count per row."""
    return select(func.count()).where(subject == subject_id).scalar_subquery()


def liked_by(likes: InstrumentedAttribute[UUID], subject_id: Subject, user_id: UUID | None) -> ColumnElement[bool]:
    """Whether the user likes the subject; false for nobody."""
    if user_id is None:
        return false()
    return exists().where(likes == subject_id, likes.class_.user_id == user_id)


async def add_like(session: AsyncSession, likes: InstrumentedAttribute[UUID], subject_id: UUID, user_id: UUID) -> None:
    row = {likes.key: subject_id, "user_id": user_id}
    await session.execute(insert(likes.class_).values(row).on_conflict_do_nothing())


async def remove_like(
    session: AsyncSession, likes: InstrumentedAttribute[UUID], subject_id: UUID, user_id: UUID
) -> None:
    await session.execute(delete(likes.class_).where(likes == subject_id, likes.class_.user_id == user_id))
