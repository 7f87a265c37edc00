"""`make breaking`: buf's breaking-change check of protos/ against a git ref (main by default).

The baseline is the ref's protos/ and buf.yaml taken with `git archive`; like the working
tree, it gets the google/api and google/rpc protos of the installed googleapis-common-protos
copied into its .build/googleapis, since they are not committed. buf then compares the two
workspaces module by module.
"""

import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from devstack.paths import ROOT
from devstack.protos import copy_google_protos

BUF = Path(sys.executable).parent / "buf"


def baseline(ref: str, workdir: Path) -> Path:
    """A buf workspace of the protos at ref."""
    archive = subprocess.run(["git", "archive", ref, "protos", "buf.yaml"], cwd=ROOT, capture_output=True, check=True)
    source = workdir / "baseline"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source, filter="data")
    copy_google_protos(source / ".build" / "googleapis")
    return source


def breaking(ref: str = "main", source: Path = ROOT) -> subprocess.CompletedProcess:
    """buf breaking of the protos under source against those at ref."""
    copy_google_protos(source / ".build" / "googleapis")
    with tempfile.TemporaryDirectory() as workdir:
        against = baseline(ref, Path(workdir))
        return subprocess.run([BUF, "breaking", str(source), "--against", str(against)], capture_output=True, text=True)
