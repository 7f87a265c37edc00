"""The benchmarks' own parts: the load generator's counts, CPU time from /proc, and the ceiling's rewrite of
the sample purchase's rows."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx

from devstack.bench.cpu import cpu_seconds
from devstack.bench.load import Failed, measure
from devstack.bench.purchase_ceiling import Event, Key, Sample

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_the_load_generator_counts_each_failure_by_its_kind():
    answers = iter(["ok", "teapot", "late", "ok", "teapot"] * 1000)

    async def call() -> None:
        answer = next(answers)
        if answer == "teapot":
            request = httpx.Request("POST", "http://bench/v1/listings/1:buy")
            raise httpx.HTTPStatusError("teapot", request=request, response=httpx.Response(418, request=request))
        if answer == "late":
            raise Failed("HTTP 200 TRANSACTION_STATUS_PAID")

    # A loop of its own: this file has no async fixtures, and the session's loop belongs to those that do.
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(measure("test", [call], seconds=0.05, warmup=0))
    finally:
        loop.close()
    assert result.completed > 0
    assert set(result.failures) == {"HTTP 418", "HTTP 200 TRANSACTION_STATUS_PAID"}
    assert result.errors == sum(result.failures.values()) >= 2


def test_a_process_is_charged_the_cpu_of_its_children_running_and_gone():
    # The parent burns 0.3 s itself, runs a child that burns 0.3 s to its end, then starts one that
    # burns 0.3 s and waits: every one of them counts for the parent.
    script = (
        BURN.format(seconds=0.3)
        + "import subprocess, sys\n"
        + f"subprocess.run([sys.executable, '-c', {BURN.format(seconds=0.3)!r}])\n"
        + f"child = subprocess.Popen([sys.executable, '-c', {BURN.format(seconds=0.3)!r} + 'time.sleep(60)'])\n"
        + "print('burnt', flush=True)\n"
        + "child.wait()\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline() == "burnt\n"
        deadline = time.monotonic() + 60
        # The last child may still be burning; it stops at 0.3 s and sleeps.
        while (spent := cpu_seconds({"parent": parent.pid})["parent"]) < 0.85 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0.85 <= spent < 3
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def test_the_ceiling_writes_the_samples_rows_with_its_own_ids_and_keeps_the_rest():
    ids = {"transaction": "t-1", "listing": "l-1", "buyer": "b-1", "hold": "h-1"}
    key = Key("user:b-1", "hash", b"answer")
    event = Event(
        "trading.transaction.changed", "t-1", "T", '{"transaction_id": "t-1", "buyer_id": "b-1", "hold_id": "h-1"}'
    )
    sample = Sample(ids, 500, ([event], [], []), [], key, key, key, key)
    new = {"transaction": "t-2", "buyer": "b-2"}
    assert sample.rewrite(key.scope, new) == "user:b-2"
    [types, subjects, payload_types, payloads] = sample.events([event], new)
    assert (types, subjects, payload_types) == (["trading.transaction.changed"], ["t-2"], ["T"])
    assert payloads == ['{"transaction_id": "t-2", "buyer_id": "b-2", "hold_id": "h-1"}']
