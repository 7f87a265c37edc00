"""What the audit log records of an admin change."""

import enum


class AuditAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
