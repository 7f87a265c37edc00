"""`python -m devstack proto | postgres | elasticsearch | run | migrate | bench | breaking | docs | lint-migrations | service-token
| revision`."""

import argparse
import subprocess
import sys


def each_service(command: str) -> int:
    """Runs `python -m <context> <command>` for every context; 1 when any of them fails."""
    # Imported here: the images generate code with devstack where servicekit is not installed.
    from servicekit.config import CONTEXTS

    codes = [subprocess.run([sys.executable, "-m", context, command]).returncode for context in CONTEXTS]
    return 1 if any(codes) else 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("proto", help="generate Python code from protos/")
    commands.add_parser("postgres", help="print the URL of a PostgreSQL with PostGIS, starting one if needed")
    elasticsearch = commands.add_parser("elasticsearch", help="run a single Elasticsearch node until Ctrl-C")
    elasticsearch.add_argument("--port", type=int, help="its HTTP port (default: a free one)")
    elasticsearch.add_argument("--fetch", action="store_true", help="only fetch it into the cache and print where")
    elasticsearch.add_argument("--quick-start", action="store_true", help="start sooner, search slower (for tests)")
    commands.add_parser("run", help="migrate, seed and run the four services and the gateway until Ctrl-C")
    commands.add_parser("migrate", help="create the four databases if missing and migrate them to head")
    bench = commands.add_parser("bench", help="measure the gateway against direct gRPC and a bare ceiling")
    scenarios = ["gateway", "catalog", "ledger", "purchase", "search", "messaging", "buy-orders", "memory", "soak"]
    bench.add_argument("named", nargs="?", choices=scenarios, metavar="scenario", help="the same as --scenario")
    bench.add_argument("--scenario", choices=scenarios, default="gateway")
    bench.add_argument("--items", type=int, default=1_000_000, help="catalog: items to load (default 1,000,000)")
    bench.add_argument(
        "--runs",
        type=int,
        help="catalog: measured runs with the indexes (default 30); search: runs without (default 5)",
    )
    bench.add_argument(
        "--concurrency", type=int, help="concurrent clients (default 32; search 2; buy-orders 8; soak 16)"
    )
    bench.add_argument(
        "--seconds", type=float, help="measured seconds per target (default 10; purchase 20; search 8; soak 600)"
    )
    bench.add_argument("--warmup", type=float, help="unmeasured seconds before each (default 2; soak 120)")
    bench.add_argument("--buyers", type=int, default=1_000, help="purchase, soak: funded buyers (default 1,000)")
    bench.add_argument(
        "--listings",
        type=int,
        help="purchase: fresh listings per target (default: 1,000 a second run); search: listings (default 1,000,000); "
        "soak: listings to search (default 100,000)",
    )
    bench.add_argument(
        "--targets",
        default="postgres,elasticsearch,noindex",
        help="search: the targets to measure, of postgres,elasticsearch,noindex (default all)",
    )
    bench.add_argument("--orders", type=int, default=100_000, help="buy-orders: open orders (default 100,000)")
    bench.add_argument("--clients", type=int, default=1_000, help="messaging: SSE clients (default 1,000)")
    bench.add_argument("--rate", type=float, default=150.0, help="messaging: messages sent a second (default 150)")
    breaking = commands.add_parser("breaking", help="buf breaking of protos/ against a git ref")
    breaking.add_argument("--against", default="main", help="git ref of the baseline (default main)")
    commands.add_parser("docs", help="write each service's schema diagram to services/<ctx>/docs/schema.md")
    commands.add_parser("lint-migrations", help="squawk over every revision of every service")
    token = commands.add_parser("service-token", help="print a token of SERVICE for calling AUDIENCE (for grpcurl)")
    token.add_argument("service", help="the calling service, e.g. trading")
    token.add_argument("audience", help="the called service, e.g. accounts")
    revision = commands.add_parser("revision", help="autogenerate a migration of one service")
    revision.add_argument("service")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    if args.command == "bench":
        args.scenario = args.named or args.scenario
        if args.seconds is None:
            args.seconds = {"purchase": 20.0, "search": 8.0, "soak": 600.0}.get(args.scenario, 10.0)
        if args.warmup is None:
            args.warmup = 120.0 if args.scenario == "soak" else 2.0
        if args.concurrency is None:
            args.concurrency = {"search": 2, "buy-orders": 8, "soak": 16}.get(args.scenario, 32)
        if args.runs is None:
            args.runs = 5 if args.scenario == "search" else 30
        if args.listings is None:
            args.listings = {"search": 1_000_000, "soak": 100_000}.get(args.scenario, 0)
    if args.command == "proto":
        from devstack.protos import generate

        generate()
    elif args.command == "postgres":
        from devstack.postgres import find_server

        print(find_server())
    elif args.command == "elasticsearch" and args.fetch:
        from devstack.elasticsearch import distribution

        print(distribution())
    elif args.command == "elasticsearch":
        from devstack.elasticsearch import serve

        raise SystemExit(serve(args.port, args.quick_start))
    elif args.command == "run":
        from devstack.run import run

        raise SystemExit(run())
    elif args.command == "migrate":
        from devstack.run import migrate

        raise SystemExit(migrate())
    elif args.command == "bench" and args.scenario == "catalog":
        from devstack.bench.catalog import bench as bench_catalog

        raise SystemExit(bench_catalog(args.items, args.runs))
    elif args.command == "bench" and args.scenario == "ledger":
        from devstack.bench import service_bench

        options = ["--concurrency", str(args.concurrency), "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
        raise SystemExit(service_bench("accounts", options))
    elif args.command == "bench" and args.scenario == "purchase":
        from devstack.bench.purchase import bench as bench_purchase

        raise SystemExit(bench_purchase(args.concurrency, args.seconds, args.warmup, args.buyers, args.listings))
    elif args.command == "bench" and args.scenario == "messaging":
        from devstack.bench.messaging import bench as bench_messaging

        raise SystemExit(bench_messaging(args.clients, args.rate, args.seconds))
    elif args.command == "bench" and args.scenario == "buy-orders":
        from devstack.bench.buy_orders import bench as bench_buy_orders

        raise SystemExit(bench_buy_orders(args.orders, args.concurrency, args.seconds, args.warmup))
    elif args.command == "bench" and args.scenario == "memory":
        from devstack.bench.memory_burst import bench as bench_memory

        raise SystemExit(bench_memory(args.concurrency, args.seconds, args.warmup))
    elif args.command == "bench" and args.scenario == "soak":
        from devstack.bench.soak import bench as bench_soak

        raise SystemExit(bench_soak(args.concurrency, args.seconds, args.warmup, args.buyers, args.listings))
    elif args.command == "bench" and args.scenario == "search":
        from devstack.bench.search import bench as bench_search

        raise SystemExit(
            bench_search(args.listings, args.concurrency, args.seconds, args.warmup, args.runs, args.targets.split(","))
        )
    elif args.command == "bench":
        from devstack.bench.gateway import bench

        raise SystemExit(bench(args.concurrency, args.seconds, args.warmup))
    elif args.command == "breaking":
        from devstack.breaking import breaking

        result = breaking(args.against)
        print(result.stdout + result.stderr, end="")
        raise SystemExit(result.returncode)
    elif args.command == "service-token":
        from devstack.config import StackConfig
        from devstack.keys import ensure_keys

        print(ensure_keys(StackConfig.from_env().key_dir).service_token(args.service, args.audience))
    elif args.command in ("docs", "lint-migrations"):
        raise SystemExit(each_service(args.command))
    elif args.command == "revision":
        from devstack.revision import new_revision

        new_revision(args.service, args.message)


if __name__ == "__main__":
    main()
