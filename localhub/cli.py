"""The `omnihub` command: the local hub, the demo, the benchmark, connector scaffolding, the stock check, replay."""

import argparse
import logging
import signal
import sys
import threading
import warnings


def _local(args: argparse.Namespace) -> int:
    from localhub.demo import start_platform

    platform = start_platform(front_door_port=args.port, serve_aws=True, run_schedules=True)
    print(f"OmniHub local hub on {platform.hub.url}")
    for route in platform.hub.front_door.routes:
        print(f"  {route.method:5} {platform.hub.url}{route.resource}")
    for channel, simulator in platform.simulators.items():
        print(f"  simulator {channel:8} {simulator.base_url}")
    print(f"  embedded AWS (moto) {platform.hub.aws.endpoint}")
    for schedule in platform.hub.topology.schedules:
        print(f"  schedule {schedule.logical_id}: {schedule.expression}")
    print("Ctrl-C to stop.")
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    platform.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from localhub.demo import run_demo

    report = run_demo(orders=args.orders, seed=args.seed)
    return 0 if report.ok else 1


def _bench(args: argparse.Namespace) -> int:
    from localhub.bench import run_bench

    return run_bench(orders=args.orders, out_dir=args.out, runs=args.runs)


def _connector_new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from connectors.sdk.scaffold import ScaffoldError, new_connector

    try:
        scaffold = new_connector(args.name, root=Path(args.root), intake=args.intake, display_name=args.display_name)
    except ScaffoldError as exc:
        print(f"omnihub connector new: {exc}", file=sys.stderr)
        return 2
    for path in scaffold.files:
        print(f"  created {path}")
    print(f"Next: make the kit pass — .venv/bin/pytest tests/conformance -k {scaffold.channel}")
    print("Then read docs/onboarding-a-channel.md (secret, simulator, demo, cdk deploy).")
    return 0


DELEGATED = {
    ("stock", "check"): "localhub.ledger_cli:check_invariants_main",
    ("replay",): "localhub.replay:main",
    ("export-orders",): "hubcore.adapters.orders_export:export_main",
}


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    for prefix, target in DELEGATED.items():
        if tuple(args_in[: len(prefix)]) == prefix:
            from connectors.registry import import_dotted

            delegated: int = import_dotted(target)(args_in[len(prefix) :])
            return delegated
    parser = argparse.ArgumentParser(prog="omnihub", description="OmniHub on one machine (moto as the embedded AWS)")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="serve the hub and the platform simulators on localhost")
    local.add_argument("--port", type=int, default=8080, help="front door port (default 8080)")
    local.set_defaults(run=_local)

    demo = commands.add_parser("demo", help="stream a realistic day of orders through the hub and summarise")
    demo.add_argument("--orders", type=int, default=200, help="orders to stream (default 200)")
    demo.add_argument("--seed", type=int, default=7, help="seed of the generated day (default 7)")
    demo.set_defaults(run=_demo)

    bench = commands.add_parser("bench", help="measure cold starts, CPU per order, AWS calls and throughput")
    bench.add_argument("--orders", type=int, default=200, help="orders for the end-to-end run (default 200)")
    bench.add_argument("--runs", type=int, default=5, help="fresh interpreters per cold-start sample (default 5)")
    bench.add_argument("--out", default="bench-results", help="directory for bench.json (default bench-results)")
    bench.set_defaults(run=_bench)

    connector = commands.add_parser("connector", help="work on channel connectors")
    connector_commands = connector.add_subparsers(dest="connector_command", required=True)
    new = connector_commands.add_parser("new", help="scaffold a connector package, its fixtures and its profile")
    new.add_argument("name", help="channel name: the package name, e.g. 'vipshop'")
    new.add_argument("--intake", choices=("webhook", "poll"), default="webhook", help="how orders arrive")
    new.add_argument("--display-name", default="", help="human name of the channel")
    new.add_argument("--root", default=".", help="repository root (default: the current directory)")
    new.set_defaults(run=_connector_new)

    # Commands with their own option parsers, handed the rest of the command line as it is.
    commands.add_parser("stock", help="`omnihub stock check --help`: the stock ledger's invariant check")
    commands.add_parser("replay", help="what-if replay of audit rules and routing policies over exported orders")
    commands.add_parser("export-orders", help="export stored orders as JSON Lines (read-only)")

    parser.add_argument("--log-level", default="WARNING", help="log level of the hub's functions (default WARNING)")
    args = parser.parse_args(args_in)
    level = args.log_level.upper()
    # Every function shares one Powertools Metrics object here (one process); in Lambda each has its own.
    warnings.filterwarnings("ignore", message="Dimension '.*' has already been added")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from hubcore.observability import logger, metrics

    logger.setLevel(level)
    if logging.getLevelName(level) > logging.INFO:
        # EMF lines (what CloudWatch reads in AWS) would drown the console. POWERTOOLS_METRICS_DISABLED is not
        # enough: the metric set then never clears and Powertools prints it anyway at 100 values.
        metrics.provider.flush_metrics = lambda raise_on_empty_metrics=False: metrics.provider.clear_metrics()  # type: ignore[method-assign]
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
