"""Generates Python code from protos/ with grpcio-tools.

The google/api and google/rpc protos are not committed: they are copied from the
installed googleapis-common-protos into .build/googleapis, which buf.yaml lists as
a second module, so that protoc and buf both work offline.
"""

import shutil
import sys
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

from devstack.paths import CONTRACTS, GOOGLEAPIS, PROTOS

GOOGLE_PACKAGES = ("api", "rpc")
# The descriptors with their comments (source info), which the generated modules leave out; the
# gateway reads them from this file beside the modules for its OpenAPI document.
DESCRIPTOR_SET = "descriptor_set.binpb"


def copy_google_protos(target: Path = GOOGLEAPIS) -> Path:
    """Copies google/api/*.proto and google/rpc/*.proto from site-packages into target."""
    for package in GOOGLE_PACKAGES:
        source = files("google") / package
        destination = target / "google" / package
        destination.mkdir(parents=True, exist_ok=True)
        for entry in source.iterdir():
            if entry.name.endswith(".proto"):
                (destination / entry.name).write_bytes(entry.read_bytes())
    return target


def generate(out: Path = CONTRACTS, protos: Path = PROTOS) -> None:
    """Writes *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every proto under protos into out, and their
    descriptors with comments into out/marketplace/descriptor_set.binpb."""
    googleapis = copy_google_protos()
    well_known = files("grpc_tools") / "_proto"
    generated = out / "marketplace"
    if generated.exists():
        shutil.rmtree(generated)
    generated.mkdir(parents=True)
    args = [
        "grpc_tools.protoc",
        f"-I{protos}",
        f"-I{googleapis}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        "--include_source_info",
        f"--descriptor_set_out={generated / DESCRIPTOR_SET}",
        *(str(path) for path in sorted(protos.rglob("*.proto"))),
    ]
    if protoc.main(args) != 0:
        sys.exit("protoc failed")
