"""deploy/images/schema_gate.py: when a new service pod may start, given the database's revision."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import uuid

import pytest
from deploy_support import DEPLOY


@pytest.fixture(scope="module")
def gate():
    spec = importlib.util.spec_from_file_location("schema_gate", DEPLOY / "images" / "schema_gate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


HISTORY = {"a1", "b2", "c3"}


def test_waits_while_the_database_has_no_revision(gate):
    assert not gate.judge([], {"c3"}, HISTORY).ready


def test_waits_while_the_database_is_behind_the_image(gate):
    verdict = gate.judge(["b2"], {"c3"}, HISTORY)
    assert not verdict.ready and "c3" in verdict.reason


def test_starts_when_the_database_is_at_the_image_head(gate):
    assert gate.judge(["c3"], {"c3"}, HISTORY).ready


def test_starts_when_a_newer_release_already_migrated(gate):
    # Rolling back the Deployment after an expand migration: the old image does not know the
    # revision, and by the expand/contract rule the schema still serves it.
    verdict = gate.judge(["d4"], {"c3"}, HISTORY)
    assert verdict.ready and "ahead" in verdict.reason


def test_every_branch_head_must_be_applied(gate):
    assert not gate.judge(["c3"], {"c3", "x9"}, HISTORY | {"x9"}).ready
    assert gate.judge(["c3", "x9"], {"c3", "x9"}, HISTORY | {"x9"}).ready


def test_plain_postgresql_urls_get_the_asyncpg_driver(gate):
    assert gate.async_url("postgresql://u:p@db:5432/x") == "postgresql+asyncpg://u:p@db:5432/x"
    assert gate.async_url("postgres://u:p@db/x") == "postgresql+asyncpg://u:p@db/x"
    assert gate.async_url("postgresql+asyncpg://u:p@db/x") == "postgresql+asyncpg://u:p@db/x"


def test_reads_heads_and_history_from_the_alembic_config(gate, tmp_path, monkeypatch):
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "script.py.mako").write_text("")
    (tmp_path / "migrations" / "env.py").write_text("")
    for revision, down in (("a1", None), ("b2", "a1"), ("c3", "b2")):
        (versions / f"{revision}_step.py").write_text(
            textwrap.dedent(
                f'''\
                """Step {revision}."""
                revision = "{revision}"
                down_revision = {down!r}
                branch_labels = None
                depends_on = None

                def upgrade(): pass

                def downgrade(): pass
                '''
            )
        )
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    monkeypatch.chdir(tmp_path)  # as in the image: WORKDIR holds alembic.ini and migrations/
    heads, known = gate.image_revisions(str(tmp_path / "alembic.ini"))
    assert heads == {"c3"} and known == HISTORY


def test_exits_with_a_message_without_a_database_url(gate, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert gate.main() == 2
    assert "DATABASE_URL" in capsys.readouterr().err


async def test_gives_up_after_the_timeout_when_the_database_is_unreachable(gate, monkeypatch, capsys):
    pytest.importorskip("asyncpg")
    monkeypatch.setattr(gate, "image_revisions", lambda path: ({"c3"}, HISTORY))
    # Port 9 on localhost: nothing listens, the connection is refused at once.
    code = await gate.wait("postgresql+asyncpg://u:p@127.0.0.1:9/x", "alembic.ini", None, 0.2, 0.05)
    out = capsys.readouterr()
    assert code == 1
    assert "cannot read the schema version" in out.out and "gave up" in out.err


async def test_reads_the_version_table_of_a_real_database(gate, pg_server, monkeypatch):
    import asyncpg

    from devstack.postgres import admin_url, create_database, drop_database, service_url

    name = f"deploy_gate_{uuid.uuid4().hex[:8]}"
    await create_database(pg_server, name)
    try:
        url = service_url(pg_server, name)
        monkeypatch.setattr(gate, "image_revisions", lambda path: ({"c3"}, HISTORY))
        assert await gate.applied_revisions(url, None) == set()
        assert await gate.wait(url, "alembic.ini", None, 0.2, 0.05) == 1

        connection = await asyncpg.connect(admin_url(pg_server).rsplit("/", 1)[0] + f"/{name}")
        try:
            await connection.execute("CREATE TABLE catalog_alembic_version (version_num varchar(32) PRIMARY KEY)")
            await connection.execute("INSERT INTO catalog_alembic_version VALUES ('b2')")
            assert await gate.applied_revisions(url, "catalog_alembic_version") == {"b2"}
            assert await gate.wait(url, "alembic.ini", "catalog_alembic_version", 0.2, 0.05) == 1
            await connection.execute("UPDATE catalog_alembic_version SET version_num = 'c3'")
            assert await gate.applied_revisions(url, None) == {"c3"}, "found by name without the setting"
            assert await gate.wait(url, "alembic.ini", "catalog_alembic_version", 5, 0.05) == 0
        finally:
            await connection.close()
    finally:
        await drop_database(pg_server, name)
