"""Partition the outbox by day, copying its rows under a lock that holds writers of events (never the feed) for the copy.

Acceptable once: the outbox holds small rows of a few days in a young deployment (about a second per
100,000 events), and a writer waits rather than fails. A larger outbox needs a quiet moment or a
longer MIGRATION_STATEMENT_TIMEOUT. See servicekit.revisions.partition_outbox_by_day.

Revision ID: b44bcb27e7e2
Revises: 532817fa1650
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

from servicekit import revisions

revision: str = "b44bcb27e7e2"
down_revision: str | None = "532817fa1650"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUAWK_EXCUSES = revisions.PARTITION_OUTBOX_BY_DAY_EXCUSES


def upgrade() -> None:
    revisions.partition_outbox_by_day()


def downgrade() -> None:
    revisions.unpartition_outbox()
