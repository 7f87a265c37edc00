"""A Mermaid entity-relationship diagram of a service's tables (`python -m <service> docs`)."""

from pathlib import Path

from sqlalchemy import MetaData, Table

HEADER = "<!-- Generated from {service}/models.py by `make docs`; a test keeps it current. -->\n"


def _column_line(table: Table, column) -> str:
    keys = []
    if column.primary_key:
        keys.append("PK")
    if column.foreign_keys:
        keys.append("FK")
    if any(
        constraint.columns.contains_column(column) and len(constraint.columns) == 1
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    ):
        keys.append("UK")
    type_name = column.type.__class__.__name__.lower()
    nullable = ' "nullable"' if column.nullable and not column.primary_key else ""
    return f"        {type_name} {column.name} {','.join(keys)}{nullable}".rstrip()


def mermaid(metadata: MetaData) -> str:
    lines = ["erDiagram"]
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        lines.append(f"    {table.name} {{")
        lines += [_column_line(table, column) for column in table.columns]
        lines.append("    }")
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for key in sorted(table.foreign_keys, key=lambda k: (k.parent.name, k.column.table.name, k.column.name)):
            lines.append(f'    {key.column.table.name} ||--o{{ {table.name} : "{key.parent.name}"')
    return "\n".join(lines) + "\n"


def document(service: str, metadata: MetaData) -> str:
    return f"{HEADER.format(service=service)}\n# {service} schema\n\n```mermaid\n{mermaid(metadata)}```\n"


def path_of(service_root: Path) -> Path:
    """Where a service keeps its diagram: services/<service>/docs/schema.md."""
    return service_root / "docs" / "schema.md"
