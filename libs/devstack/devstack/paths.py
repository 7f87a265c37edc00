"""Where things are in the repository."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROTOS = ROOT / "protos"
CONTRACTS = ROOT / "libs" / "contracts"
BUILD = ROOT / ".build"
GOOGLEAPIS = BUILD / "googleapis"
RUN = ROOT / ".run"
