"""Move the audit log onto the kit's shape (actor, stable actions, targets, request ids), keeping its rows.

Revision ID: 19910347d897
Revises: 7bb02429666f
Create Date: 2026-12-02 04:59:10.809350
"""

from collections.abc import Sequence

from alembic import op

from servicekit import revisions

revision: str = "19910347d897"
down_revision: str | None = "7bb02429666f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit log is small, written by admins only, and no release has run with it: it is reshaped in place.
_SMALL_AND_UNRELEASED = (
    "audit_log holds a few admin actions and no release has run with it: one short transaction under its lock"
)
SQUAWK_EXCUSES = {
    rule: _SMALL_AND_UNRELEASED
    for rule in (
        "require-concurrent-index-deletion",
        "require-concurrent-index-creation",
        "changing-column-type",
        "adding-not-nullable-field",
        "ban-drop-column",
        "renaming-column",
        "ban-drop-type",
    )
} | {"prefer-text-field": revisions.VARCHAR_LENGTHS}

RESOURCES = "('game', 'category', 'attribute', 'template')"


def upgrade() -> None:
    # Only admins write the log, and no release has run with it: renaming in place is safe here.
    op.drop_index("ix_audit_log_resource_type_resource_id_id", table_name="audit_log")
    op.execute(
        """
        ALTER TABLE audit_log
            ALTER COLUMN action TYPE varchar(100) USING resource_type || '.' || action::text,
            ALTER COLUMN resource_id TYPE varchar(200) USING resource_id::text,
            ADD COLUMN actor varchar(200),
            ADD COLUMN request_id varchar(200)
        """
    )
    op.execute("UPDATE audit_log SET actor = 'user:' || actor_id")
    op.alter_column("audit_log", "actor", nullable=False)
    op.drop_column("audit_log", "actor_id")
    op.alter_column("audit_log", "resource_type", new_column_name="target_type")
    op.alter_column("audit_log", "resource_id", new_column_name="target_id")
    op.execute("DROP TYPE audit_action")
    revisions.create_audit_log_indexes()


def downgrade() -> None:
    revisions.drop_audit_log_indexes()
    # The old shape holds only admins' creations, changes and deletions of the catalog's resources.
    op.execute(
        f"""
        DELETE FROM audit_log
        WHERE actor NOT LIKE 'user:%'
           OR target_type NOT IN {RESOURCES}
           OR action NOT IN (target_type || '.created', target_type || '.updated', target_type || '.deleted')
        """
    )
    op.execute("CREATE TYPE audit_action AS ENUM ('created', 'updated', 'deleted')")
    op.execute(
        """
        ALTER TABLE audit_log
            ALTER COLUMN action TYPE audit_action USING split_part(action, '.', 2)::audit_action,
            ALTER COLUMN target_id TYPE uuid USING target_id::uuid,
            ADD COLUMN actor_id uuid
        """
    )
    op.execute("UPDATE audit_log SET actor_id = substr(actor, length('user:') + 1)::uuid")
    op.alter_column("audit_log", "actor_id", nullable=False)
    op.drop_column("audit_log", "request_id")
    op.drop_column("audit_log", "actor")
    op.alter_column("audit_log", "target_type", new_column_name="resource_type")
    op.alter_column("audit_log", "target_id", new_column_name="resource_id")
    op.create_index(
        "ix_audit_log_resource_type_resource_id_id", "audit_log", ["resource_type", "resource_id", "id"], unique=False
    )
