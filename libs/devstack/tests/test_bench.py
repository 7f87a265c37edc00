"""The benchmarks' own parts: the load generator's counts, CPU time from /proc, the ceiling's rewrite of
the sample purchase's rows, the soak's expected answers, and the results file."""

import asyncio
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time

import httpx

from devstack.bench import results
from devstack.bench.cpu import BackendCpu, cpu_seconds
from devstack.bench.load import Failed, Result, measure
from devstack.bench.purchase_ceiling import Event, Key, Sample

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_the_load_generator_counts_each_failure_by_its_kind():
    # Endless: calls that never wait can outrun any finite list in the time measured.
    answers = itertools.cycle(["ok", "teapot", "late", "ok", "teapot"])

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


def test_a_databases_backends_are_charged_what_they_burn_and_the_other_databases_are_not(tmp_path):
    # A "postmaster" whose children are titled as PostgreSQL's backends are, one per database; each burns
    # 0.3 s once told to (after the first sample), then waits.
    go = tmp_path / "go"
    backend = f"import os, time\nwhile not os.path.exists({str(go)!r}): time.sleep(0.01)\n" + BURN.format(seconds=0.3)
    script = (
        "import subprocess, sys, time\n"
        f"code = {backend + 'time.sleep(60)'!r}\n"
        "for db in ('mine', 'theirs'):\n"
        "    subprocess.Popen(['postgres: me ' + db + ' local idle', '-c', code], executable=sys.executable)\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline() == "started\n"
        backends = BackendCpu(parent.pid, "mine")
        backends.sample()
        go.touch()
        deadline = time.monotonic() + 60
        while backends.seconds < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
            backends.sample()
        time.sleep(0.3)  # it is done burning by now, and so is the other one
        backends.sample()
        assert 0.25 <= backends.seconds < 0.5
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


def bench_categories_without_a_catalog():
    """The seeded categories with made-up ids, as the search bench gets them from its catalog."""
    import uuid

    from catalog.seed_data import CATALOG
    from devstack.bench.search_data import BROAD_CATEGORY, BROAD_SHARE, BenchCategory

    seeded = [(game.name, category) for game in CATALOG for category in game.categories]
    share = (1 - BROAD_SHARE) / (len(seeded) - 1)
    return [
        BenchCategory(
            game, seed, uuid.uuid4(), uuid.uuid4(), BROAD_SHARE if (game, seed.name) == BROAD_CATEGORY else share
        )
        for game, seed in seeded
    ]


def test_the_search_bench_generates_the_same_listings_for_the_same_seed_with_a_realistic_vocabulary():
    from collections import Counter

    from devstack.bench.search_data import ListingGenerator

    categories = bench_categories_without_a_catalog()
    listings, values = ListingGenerator(categories).batch(5_000)
    again, _ = ListingGenerator(categories).batch(5_000)
    assert [row[:4] for row in listings] == [row[:4] for row in again]
    # Each value in exactly its typed column, as trading stores them.
    assert all(sum(column is not None for column in row[2:]) == 1 for row in values)
    # The words full text sees: the commonest is in a few percent of the listings, not a quarter.
    words = Counter(word for row in listings for word in set(re.findall(r"\w+", f"{row[2]} {row[3]}".lower())))
    assert words.most_common(1)[0][1] < 0.1 * len(listings)
    broad = sum(
        row[13] == next(c.id for c in categories if c.share == max(c.share for c in categories)) for row in listings
    )
    assert 0.27 < broad / len(listings) < 0.33


def test_a_search_request_becomes_the_query_string_of_get_v1_listings():
    from devstack.bench.search_queries import http_params
    from marketplace.trading.v1 import trading_service_pb2 as pb

    request = pb.SearchListingsRequest(
        q="lamp",
        category_id="c",
        attributes=["size:40..44", "colour:red"],
        near=pb.Near(lat=52.5, lng=13.4, radius_km=10),
        sort=pb.LISTING_SORT_DISTANCE,
    )
    assert http_params(request) == [
        ("q", "lamp"),
        ("category_id", "c"),
        ("attributes", "size:40..44"),
        ("attributes", "colour:red"),
        ("near.lat", "52.5"),
        ("near.lng", "13.4"),
        ("near.radius_km", "10.0"),
        ("sort", "LISTING_SORT_DISTANCE"),
    ]


def test_the_buy_orders_bench_writes_filters_the_kits_parser_reads_as_their_typed_rows():
    from devstack.bench.buy_order_data import OrderGenerator
    from servicekit.filters import parse_filters

    categories = bench_categories_without_a_catalog()
    queries, filters, orders = OrderGenerator(categories).batch(2_000)
    again, _, _ = OrderGenerator(categories).batch(2_000)
    assert queries[0] == again[0] and len(set(queries[2])) == len(categories)
    attributes = {category.id: category.seed.attributes for category in categories}
    category_of = dict(zip(queries[0], queries[2], strict=True))
    rows = iter(zip(*filters, strict=True))
    for order_id, written in zip(orders[0], orders[3], strict=True):
        for parsed in parse_filters(attributes[category_of[order_id]], written.split("\n") if written else []):
            _, _, key, minimum, maximum, strings, booleans = next(rows)
            assert parsed.attribute.key == key
            if parsed.values and isinstance(parsed.values[0], bool):
                assert booleans == "{" + str(parsed.values[0]).lower() + "}"
            elif parsed.values:
                assert strings.strip("{}").replace('"', "").split(",") == list(parsed.values)
            else:
                assert (parsed.minimum, parsed.maximum) == (minimum, maximum)


def test_the_soak_expects_only_the_sign_ins_429_rate_limited_and_counts_any_other_failure_as_an_error():
    from devstack.bench.load import expect_ok
    from devstack.bench.soak import SIGN_IN, Log

    def answered(status: int, reason: str):
        async def call() -> None:
            request = httpx.Request("POST", "http://bench/v1/sessions")
            body = {"code": 8, "message": "", "details": [{"reason": reason}]}
            expect_ok(httpx.Response(status, json=body, request=request))

        return call

    log = Log()
    answers = [
        (SIGN_IN, 429, "RATE_LIMITED"),
        (SIGN_IN, 429, "TOO_MANY_FAILED_SIGN_INS"),  # accounts' own throttling: not what the soak provokes
        ("buy", 429, "RATE_LIMITED"),
        ("buy", 200, ""),
    ]
    loop = asyncio.new_event_loop()
    try:
        for kind, status, reason in answers:
            loop.run_until_complete(log.timed(kind, answered(status, reason)))
    finally:
        loop.close()
    [warmup] = log.periods
    assert warmup.limited == 1
    assert warmup.failures == {(SIGN_IN, "HTTP 429 TOO_MANY_FAILED_SIGN_INS"): 1, ("buy", "HTTP 429 RATE_LIMITED"): 1}
    assert warmup.completed == {"buy": 1}


def test_a_scenario_writes_its_figures_and_ratios_to_its_json_file(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS", tmp_path / "bench-results")
    measured = Result(name="gateway", completed=4, errors=1, seconds=2.0, latencies=[0.001, 0.002, 0.003, 0.004])
    empty = Result(name="ceiling", completed=0, errors=0, seconds=2.0, latencies=[])

    path = results.write_results(
        "gateway",
        {"gateway": results.load_figures(measured), "ceiling": results.load_figures(empty)},
        {"gateway/ceiling requests/s": 0.5},
    )

    document = json.loads(path.read_text())
    assert path == tmp_path / "bench-results" / "gateway.json"
    assert document["scenario"] == "gateway"
    assert document["machine"]["cpu_cores"] == os.cpu_count()
    assert document["figures"]["gateway"] == {
        "per_second": 2.0,
        "p50_ms": 2.0,
        "p95_ms": 4.0,
        "p99_ms": 4.0,
        "completed": 4,
        "errors": 1,
        "failures": {},
    }
    assert document["figures"]["ceiling"]["p99_ms"] is None  # nothing measured: null, not NaN, which JSON lacks
    assert document["ratios"] == {"gateway/ceiling requests/s": 0.5}
