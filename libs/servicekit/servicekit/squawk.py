"""Squawk, the PostgreSQL migration linter, over every revision of a service (`python -m <service> lint-migrations`).

Each revision's upgrade is rendered offline, as `alembic upgrade <down>:<rev> --sql` prints it: the
statements an online run executes, inside its transaction, after its lock_timeout and
statement_timeout. Alembic's own version table is left out, so a finding is about the revision's SQL.
Each revision is linted on its own, so every finding names its revision.

A revision that breaks a rule where it is safe says so beside its code, rule by rule, with why:

    SQUAWK_EXCUSES = {"ban-drop-column": "no released code reads idempotency_keys.result_id"}

A finding without an excuse fails the lint, and so do an excuse without a reason and an excuse of a
rule the revision does not break (it would excuse the next, unreviewed, change).
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

from servicekit.migrations import quiet_alembic, version_table

# The oldest PostgreSQL the services run on: rules that newer versions make moot stay quiet.
PG_VERSION = "15"
EXCUSES = "SQUAWK_EXCUSES"


class SquawkMissing(RuntimeError):
    """The squawk executable is not installed."""


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int
    message: str
    statement: str


@dataclass(frozen=True)
class RevisionLint:
    """What squawk found in one revision, and what the revision excuses."""

    revision: Script
    findings: tuple[Finding, ...]
    excuses: dict[str, str]

    @property
    def unexcused(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.rule not in self.excuses]

    @property
    def excuses_of_nothing(self) -> list[str]:
        broken = {finding.rule for finding in self.findings}
        return sorted(rule for rule in self.excuses if rule not in broken)

    @property
    def excuses_without_reason(self) -> list[str]:
        return sorted(rule for rule, reason in self.excuses.items() if not str(reason).strip())

    @property
    def passes(self) -> bool:
        return not (self.unexcused or self.excuses_of_nothing or self.excuses_without_reason)


def revisions(config: Config) -> list[Script]:
    """The history from base to head."""
    return list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))


def upgrade_sql(config: Config, service: str, revision: Script) -> str:
    """The SQL that upgrading from the revision's parent to it runs, without Alembic's version table."""
    output = io.StringIO()
    span = f"{revision.down_revision}:{revision.revision}" if revision.down_revision else revision.revision
    config.output_buffer, previous = output, config.output_buffer
    try:
        with quiet_alembic():
            command.upgrade(config, span, sql=True)
    finally:
        config.output_buffer = previous
    created = re.compile(rf"CREATE TABLE {re.escape(version_table(service))} \(.*?\);\n\n", re.DOTALL)
    return created.sub("", output.getvalue())


def excuses_of(revision: Script) -> dict[str, str]:
    return dict(getattr(revision.module, EXCUSES, {}))


def squawk_executable() -> str:
    """squawk from the virtual environment this Python runs in, else from PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("squawk", path=search)
    if found is None:
        raise SquawkMissing("squawk is not installed: pip install -r requirements/dev.txt (squawk-cli)")
    return found


def lint(config: Config, service: str) -> list[RevisionLint]:
    """Every revision of the service's history, linted: one squawk run over one file per revision."""
    history = revisions(config)
    with tempfile.TemporaryDirectory(prefix=f"squawk-{service}-") as folder:
        sql, files = {}, []
        for revision in history:
            sql[revision.revision] = upgrade_sql(config, service, revision)
            files.append(Path(folder) / f"{revision.revision}.sql")
            files[-1].write_text(sql[revision.revision])
        result = subprocess.run(
            [squawk_executable(), "--pg-version", PG_VERSION, "--reporter", "json", *map(str, files)],
            capture_output=True,
            text=True,
        )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"squawk failed ({result.returncode}): {result.stderr.strip()}")
    found: dict[str, list[Finding]] = {revision.revision: [] for revision in history}
    for item in json.loads(result.stdout):
        name = Path(item["file"]).stem
        lines = sql[name].splitlines()
        line = item["line"] + 1  # squawk's JSON counts lines from 0
        statement = lines[item["line"]].strip() if item["line"] < len(lines) else ""
        found[name].append(Finding(item["rule_name"], line, item["message"], statement))
    return [RevisionLint(rev, tuple(found[rev.revision]), excuses_of(rev)) for rev in history]


def report(service: str, results: list[RevisionLint]) -> str:
    """What fails, revision by revision; one line of counts when nothing does."""
    lines = []
    for result in (result for result in results if not result.passes):
        lines.append(f"{service} {result.revision.revision} ({Path(result.revision.path).name}):")
        for finding in result.unexcused:
            lines.append(f"  {finding.rule}, line {finding.line}: {finding.message}")
            lines.append(f"      {finding.statement}")
        for rule in result.excuses_of_nothing:
            lines.append(f"  {EXCUSES} names {rule}, which the revision does not break: remove it")
        for rule in result.excuses_without_reason:
            lines.append(f"  {EXCUSES} excuses {rule} without a reason")
    if lines:
        lines.append(
            f"Excuse a rule that is safe to break there in the revision: {EXCUSES} = {{rule: why}} "
            "(README.md, Adding a migration)."
        )
        return "\n".join(lines)
    excused = sum(len(result.findings) for result in results)
    return f"{service}: {len(results)} revisions pass squawk ({excused} findings excused)"


def main(config: Config, service: str) -> int:
    """Prints the report; 1 when a revision fails, 2 without squawk."""
    try:
        results = lint(config, service)
    except SquawkMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report(service, results))
    return 0 if all(result.passes for result in results) else 1
