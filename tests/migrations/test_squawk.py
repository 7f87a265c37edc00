"""Squawk over every revision of every service (`python -m <context> lint-migrations`, part of `make lint`)."""

import importlib
import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from servicekit import squawk
from servicekit.config import CONTEXTS
from servicekit.migrations import alembic_config
from testkit.commands import run_command
from trading.app import SPEC as TRADING

# Rendering offline connects to nothing.
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_revision_passes_squawk_or_excuses_what_it_breaks(context):
    spec = importlib.import_module(f"{context}.app").SPEC
    results = squawk.lint(alembic_config(spec.root, NOWHERE), context)
    assert all(result.passes for result in results), squawk.report(context, results)
    assert len(results) >= 3


def test_a_revision_is_linted_as_it_runs_after_its_timeouts_without_alembic_s_version_table():
    config = alembic_config(TRADING.root, NOWHERE, lock_timeout="3s", statement_timeout="2min")
    first = squawk.revisions(config)[0]
    sql = squawk.upgrade_sql(config, "trading", first)
    assert sql.index("SET lock_timeout = '3s'") < sql.index("SET statement_timeout = '2min'") < sql.index("CREATE")
    assert "CREATE TABLE trading_alembic_version" not in sql
    assert "CREATE TABLE outbox_events" in sql


NEW = "a1b2c3d4e5f6"
HEADER = '''"""A step on top of trading's history."""
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None
{excuses}
'''


@dataclass(frozen=True)
class History:
    """A copy of trading's history (alembic.ini and migrations/), to which a test adds a revision."""

    root: Path

    def add(self, upgrade: str, excuses: dict[str, str] | None = None) -> squawk.RevisionLint:
        """Writes revision NEW on the head, upgrading with the code given, and lints the history."""
        config = alembic_config(self.root, NOWHERE)
        module = HEADER.format(
            revision=NEW,
            down_revision=squawk.revisions(config)[-1].revision,
            excuses=f"SQUAWK_EXCUSES = {excuses!r}" if excuses is not None else "",
        )
        module += "\n\ndef upgrade():\n" + textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
        module += "\n\n\ndef downgrade():\n    pass\n"
        (self.root / "migrations" / "versions" / f"{NEW}_step.py").write_text(module)
        return {result.revision.revision: result for result in squawk.lint(config, "trading")}[NEW]


@pytest.fixture
def trading_history(tmp_path) -> History:
    shutil.copy(TRADING.root / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(TRADING.root / "migrations", tmp_path / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    return History(tmp_path)


def test_an_expand_step_written_as_the_readme_says_passes_without_excuses(trading_history):
    result = trading_history.add(
        """
        op.add_column("listings", sa.Column("note", sa.Text()))
        op.create_check_constraint("note_length", "listings", "char_length(note) <= 500", postgresql_not_valid=True)
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_listings_note", "listings", ["note"], postgresql_concurrently=True, if_not_exists=True
            )
        """,
    )
    assert result.passes and result.findings == (), squawk.report("trading", [result])


def test_a_dropped_column_fails_naming_the_revision_the_rule_and_the_statement(trading_history):
    result = trading_history.add('op.drop_column("listings", "description")')
    assert not result.passes
    assert [finding.rule for finding in result.unexcused] == ["ban-drop-column"]
    report = squawk.report("trading", [result])
    assert f"trading {NEW} ({NEW}_step.py):" in report
    assert "ban-drop-column, line" in report
    assert "ALTER TABLE listings DROP COLUMN description;" in report


def test_an_excuse_with_its_reason_lets_the_revision_pass(trading_history):
    excuses = {"ban-drop-column": "no release reads listings.description"}
    result = trading_history.add('op.drop_column("listings", "description")', excuses)
    assert result.passes and [finding.rule for finding in result.findings] == ["ban-drop-column"]


def test_an_excuse_without_a_reason_fails(trading_history):
    result = trading_history.add('op.drop_column("listings", "description")', {"ban-drop-column": " "})
    assert not result.passes and result.excuses_without_reason == ["ban-drop-column"]


def test_an_excuse_of_a_rule_the_revision_does_not_break_fails(trading_history):
    excuses = {"ban-drop-column": "nothing is dropped any more"}
    result = trading_history.add('op.add_column("listings", sa.Column("note", sa.Text()))', excuses)
    assert not result.passes and result.excuses_of_nothing == ["ban-drop-column"]
    assert "names ban-drop-column, which the revision does not break" in squawk.report("trading", [result])


async def test_the_command_exits_1_on_an_unexcused_finding_and_0_on_the_services_history(trading_history):
    trading_history.add('op.create_index("ix_listings_title", "listings", ["title"])')
    failing = await run_command(
        "trading", "lint-migrations", env=os.environ | {"ALEMBIC_CONFIG": str(trading_history.root / "alembic.ini")}
    )
    assert failing.returncode == 1
    assert "require-concurrent-index-creation" in failing.stdout
    passing = await run_command("trading", "lint-migrations")
    assert passing.returncode == 0, passing.stdout
    assert passing.stdout.startswith("trading: ") and "revisions pass squawk" in passing.stdout
