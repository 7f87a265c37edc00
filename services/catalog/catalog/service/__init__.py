"""Use cases of the catalog, one module per resource; the end of `db.begin()` is the commit.

Every admin change is written to the audit log and the outbox in the transaction of the change.

Locks keep definitions and values consistent: a change of a category's attributes takes the
category row FOR UPDATE; writing values (items, templates) takes it FOR SHARE, so values are
always checked against the definitions that commit with them.
"""
