"""The Elasticsearch node of the tests and the local stack: a pinned download, a real node that the
official async client searches, and nothing left behind when it stops or fails to start."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from elasticsearch import AsyncElasticsearch

from devstack.elasticsearch import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    ElasticsearchError,
    elasticsearch_node,
    last_lines,
    sha512_of,
    unpack,
)
from devstack.ports import free_port
from testkit.processes import alive, children_of, started

BERLIN = {"lat": 52.5200, "lon": 13.4050}
POTSDAM = {"lat": 52.3906, "lon": 13.0645}  # 27 km from Berlin
MUNICH = {"lat": 48.1351, "lon": 11.5820}


@pytest.fixture
async def client(elasticsearch_url):
    async with AsyncElasticsearch(elasticsearch_url, request_timeout=30) as client:
        yield client


@pytest.fixture
async def listings(client):
    """An index of three listings, searchable at once, deleted at the end."""
    index = f"listings-{uuid.uuid4().hex[:8]}"
    await client.indices.create(
        index=index,
        mappings={"properties": {"title": {"type": "text"}, "location": {"type": "geo_point"}}},
    )
    documents = {
        "berlin": {"title": "AK-47 Redline, field-tested", "location": BERLIN},
        "potsdam": {"title": "AWP Dragon Lore, factory new", "location": POTSDAM},
        "munich": {"title": "Running sneakers, worn twice", "location": MUNICH},
    }
    for document_id, document in documents.items():
        await client.index(index=index, id=document_id, document=document)
    await client.indices.refresh(index=index)
    yield index
    await client.indices.delete(index=index)


def ids(found) -> list[str]:
    return [hit["_id"] for hit in found["hits"]["hits"]]


async def test_a_document_is_found_by_its_words(client, listings):
    found = await client.search(index=listings, query={"match": {"title": "dragon lore"}})

    assert ids(found) == ["potsdam"]


async def test_documents_are_found_within_a_distance_nearest_first(client, listings):
    found = await client.search(
        index=listings,
        query={"geo_distance": {"distance": "30km", "location": BERLIN}},
        sort=[{"_geo_distance": {"location": BERLIN, "order": "asc", "unit": "km"}}],
    )

    assert ids(found) == ["berlin", "potsdam"]
    assert 20 < found["hits"]["hits"][1]["sort"][0] < 30


def zip_of(path, files: dict[str, tuple[bytes, int]]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, (content, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, content)


def test_unpacking_keeps_the_launcher_executable(tmp_path):
    archive = tmp_path / "es.zip"
    zip_of(archive, {"es/bin/elasticsearch": (b"#!/bin/sh\n", 0o755), "es/config/jvm.options": (b"", 0o644)})

    unpack(archive, tmp_path / "home", sha512_of(archive))

    assert os.access(tmp_path / "home" / "bin" / "elasticsearch", os.X_OK)
    assert not os.access(tmp_path / "home" / "config" / "jvm.options", os.X_OK)


def test_a_download_unlike_the_pinned_one_is_deleted_and_nothing_unpacked(tmp_path):
    archive = tmp_path / "es.zip"
    zip_of(archive, {"es/bin/elasticsearch": (b"#!/bin/sh\n", 0o755)})

    with pytest.raises(ElasticsearchError, match="not the pinned"):
        unpack(archive, tmp_path / "home", "0" * 128)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(START_TIMEOUT + STOP_TIMEOUT + 120)
def test_the_foreground_node_answers_with_its_heap_and_ctrl_c_leaves_nothing_behind(tmp_path):
    port = free_port()
    argv = [sys.executable, "-m", "devstack", "elasticsearch", "--port", str(port), "--quick-start"]
    with started(argv, tmp_path / "node.log") as node:
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops it" not in node.output():
            assert node.process.poll() is None, f"it exited with {node.process.returncode}:\n{node.output()}"
            assert time.monotonic() < deadline, f"not up in time:\n{node.output()}"
            time.sleep(0.3)
        url = f"http://127.0.0.1:{port}"
        health = httpx.get(f"{url}/_cluster/health", timeout=10).json()
        assert health["status"] in ("green", "yellow")
        assert health["number_of_nodes"] == 1
        (jvm,) = [each["jvm"] for each in httpx.get(f"{url}/_nodes/_local/jvm", timeout=10).json()["nodes"].values()]
        assert jvm["mem"]["heap_max_in_bytes"] == 1 << 30
        assert "-XX:TieredStopAtLevel=1" in jvm["input_arguments"]
        folder = node.output().split("its files in ")[1].split()[0]
        descendants = node.descendants()
        assert descendants, "the launcher and the server"

        os.killpg(node.process.pid, signal.SIGINT)

        # A node that ignores its SIGTERM is killed after STOP_TIMEOUT: the command ends within that and a minute.
        try:
            code = node.process.wait(timeout=STOP_TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"Ctrl-C did not stop it:\n{node.output()}")
        assert code == 0, node.output()
        assert not [pid for pid in descendants if alive(pid)]
        assert not os.path.exists(folder)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/_cluster/health", timeout=2)


def test_a_failure_shows_the_last_lines_the_node_said_without_stack_frames(tmp_path):
    console = tmp_path / "console.log"
    console.write_text(
        "[INFO ][o.e.n.Node] [node-1] starting ...\n"
        "[ERROR][o.e.b.Elasticsearch] [node-1] fatal exception while booting Elasticsearch\n"
        "java.net.BindException: Address already in use\n"
        "\tat java.base/sun.nio.ch.Net.bind(Net.java:565)\n"
        "\t\tat io.netty.channel.AbstractChannel.bind(AbstractChannel.java:259)\n"
        "\t... 12 more\n"
        "ERROR: Elasticsearch did not exit normally\n"
    )

    said = last_lines(console, count=3)

    assert said.splitlines() == [
        "[ERROR][o.e.b.Elasticsearch] [node-1] fatal exception while booting Elasticsearch",
        "java.net.BindException: Address already in use",
        "ERROR: Elasticsearch did not exit normally",
    ]


def node_folders() -> set[str]:
    return {path.name for path in Path(tempfile.gettempdir()).glob("marketplace-es-*")}


def test_a_node_not_healthy_in_time_is_stopped_and_leaves_nothing_behind():
    processes, folders = children_of(os.getpid()), node_folders()

    with pytest.raises(ElasticsearchError, match="not healthy within 1 s"), elasticsearch_node(timeout=1):
        pass

    assert not [pid for pid in children_of(os.getpid()) - processes if alive(pid)]
    assert node_folders() == folders
