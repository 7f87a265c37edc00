"""The contracts: buf lint is clean and the generated Python is what protos/ generates today."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

from devstack.breaking import breaking
from devstack.paths import CONTRACTS, ROOT
from devstack.protos import generate

BUF = Path(sys.executable).parent / "buf"


def test_buf_lint_is_clean():
    result = subprocess.run([BUF, "lint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [str(left / name) for name in comparison.left_only + comparison.right_only + comparison.diff_files]
    for name in comparison.common_dirs:
        found += _differences(left / name, right / name)
    return found


def test_generated_code_is_not_stale(tmp_path):
    generate(tmp_path)
    stale = _differences(tmp_path / "marketplace", CONTRACTS / "marketplace")
    assert not stale, f"run `make proto`: {stale}"


def test_a_changed_proto_makes_the_generated_code_stale(tmp_path):
    protos = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", protos)
    money = protos / "marketplace" / "common" / "v1" / "money.proto"
    money.write_text(
        money.read_text().replace("int64 amount_minor = 2;", "int64 amount_minor = 2;\n  string note = 3;")
    )
    generate(tmp_path / "out", protos)
    assert _differences(tmp_path / "out" / "marketplace", CONTRACTS / "marketplace")


def test_breaking_check_passes_against_the_same_protos():
    result = breaking("HEAD")
    assert result.returncode == 0, result.stdout + result.stderr


def test_breaking_check_catches_a_removed_field(tmp_path):
    source = tmp_path / "repo"
    shutil.copytree(ROOT / "protos", source / "protos")
    shutil.copy(ROOT / "buf.yaml", source / "buf.yaml")
    money = source / "protos" / "marketplace" / "common" / "v1" / "money.proto"
    money.write_text(money.read_text().replace("int64 amount_minor = 2;", "reserved 2;"))
    result = breaking("HEAD", source)
    assert result.returncode != 0
    assert "amount_minor" in result.stdout
