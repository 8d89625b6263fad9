"""`omnihub replay`: run exported orders through candidate audit rules and a candidate routing policy and report
what would change against the live ones. Reads files only; nothing in AWS is called or written (docs/replay.md).

Exit codes: 0 the report was produced; 2 an input is unusable (a rules, policy, network, stock or orders file that
cannot be read or does not validate, or with `--strict` an invalid order record).
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table

from functions.workflow.logic.audit import DEFAULT_RULES_FILE, RuleSet, parse_rules
from functions.workflow.logic.replay import (
    DEFAULT_COVER_DAYS,
    NOT_ROUTED,
    OrderChange,
    ReplayReport,
    RoutingView,
    Setup,
    SideView,
    Totals,
    derived_stock,
    parse_orders,
    parse_stock,
    replay,
)
from functions.workflow.logic.routing import Network, RoutingPolicy, check_references, parse_network, parse_policy
from functions.workflow.logic.routing.network import DEFAULT_NETWORK_FILE
from functions.workflow.logic.routing.policy import DEFAULT_POLICY_FILE
from hubcore.errors import HubError
from schemas.money import fen_to_yuan
from schemas.timeutil import SHANGHAI

PROG = "omnihub replay"
FILE_WIDTH = 160  # a report written to a file or a pipe is wrapped at this width, whatever the terminal


class InputUnusable(Exception):
    """A file replay cannot use; the message says which and why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="what-if replay of audit rules and routing policies over exported orders (reads files only)",
    )
    parser.add_argument("--orders", required=True, help="canonical orders: JSON Lines (omnihub export-orders) or array")
    parser.add_argument("--rules", help="candidate audit rules file (default: the baseline rules)")
    parser.add_argument("--policy", help="candidate routing policy file (default: the baseline policy)")
    parser.add_argument("--baseline-rules", default=str(DEFAULT_RULES_FILE), help="default: the packaged live rules")
    parser.add_argument("--baseline-policy", default=str(DEFAULT_POLICY_FILE), help="default: the packaged policy")
    parser.add_argument("--network", default=str(DEFAULT_NETWORK_FILE), help="network for both sides (default: live)")
    parser.add_argument(
        "--stock",
        help=f'snapshot {{"SKU": {{"NODE": units}}}} (default: {DEFAULT_COVER_DAYS} days of cover from the network)',
    )
    parser.add_argument("--strict", action="store_true", help="fail (exit 2) on any invalid order record")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default table)")
    parser.add_argument("--out", help="write the report to this file instead of stdout")
    return parser


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputUnusable(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


def _rules(path: str) -> RuleSet:
    try:
        return parse_rules(_read(path, "audit rules file"), source=path)
    except HubError as exc:
        raise InputUnusable(exc.message) from exc


def _policy(path: str, network: Network) -> RoutingPolicy:
    try:
        policy = parse_policy(_read(path, "routing policy file"))
        check_references(policy, network)
    except HubError as exc:
        raise InputUnusable(f"{path}: {exc.message}") from exc
    return policy


def _network(path: str) -> Network:
    try:
        return parse_network(_read(path, "network file"))
    except HubError as exc:
        raise InputUnusable(f"{path}: {exc.message}") from exc


def _run(args: argparse.Namespace) -> ReplayReport:
    network = _network(args.network)
    baseline_rules = _rules(args.baseline_rules)
    baseline_policy = _policy(args.baseline_policy, network)
    baseline = Setup(rules=baseline_rules, policy=baseline_policy)
    candidate = Setup(
        rules=_rules(args.rules) if args.rules else baseline_rules,
        policy=_policy(args.policy, network) if args.policy else baseline_policy,
    )
    if args.stock:
        try:
            available = parse_stock(_read(args.stock, "stock file"))
        except HubError as exc:
            raise InputUnusable(f"{args.stock}: {exc.message}") from exc
        stock_label = f"snapshot {args.stock}"
    else:
        available = derived_stock(network)
        stock_label = f"derived from the network: {DEFAULT_COVER_DAYS} days of each SKU's velocity by node capacity"
    raw = _read(args.orders, "orders file")
    try:
        parsed = parse_orders(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputUnusable(f"the orders file {args.orders} is not UTF-8 text") from exc
    except HubError as exc:
        raise InputUnusable(f"{args.orders}: {exc.message}") from exc
    if args.strict and parsed.skipped:
        first = parsed.skipped[0]
        raise InputUnusable(
            f"{args.orders}: {len(parsed.skipped)} invalid order record(s); first at record {first.record}: "
            f"{first.error}"
        )
    return replay(
        parsed.orders,
        baseline=baseline,
        candidate=candidate,
        network=network,
        available=available,
        stock_label=stock_label,
        skipped=parsed.skipped,
        superseded=parsed.superseded,
    )


# --- the readable report ---


def _percent(count: int, rate: object) -> str:
    return f"{count} ({float(str(rate)) * 100:.1f}%)"


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} yuan"


def _change(before: int, after: int) -> str:
    delta = after - before
    return "" if delta == 0 else f"{'+' if delta > 0 else ''}{delta}"


def _summary(report: ReplayReport) -> Table:
    table = Table(title="Totals (before = baseline, after = candidate)", title_justify="left")
    for column in ("", "before", "after", "change"):
        table.add_column(column, justify="left" if not column else "right")
    b, a = report.before, report.after

    def row(label: str, show: Callable[[Totals], str], value: Callable[[Totals], int], money: bool = False) -> None:
        delta = value(a) - value(b)
        text = _change(value(b), value(a)) if not money else ("" if delta == 0 else _yuan(delta))
        table.add_row(label, show(b), show(a), text)

    row("orders PASS", lambda t: str(t.passed), lambda t: t.passed)
    row("REVIEW rate", lambda t: _percent(t.review, t.review_rate), lambda t: t.review)
    row("REJECT rate", lambda t: _percent(t.reject, t.reject_rate), lambda t: t.reject)
    row("routed", lambda t: str(t.routed), lambda t: t.routed)
    row("split rate (of routed)", lambda t: _percent(t.split, t.split_rate), lambda t: t.split)
    row("unroutable", lambda t: str(t.unroutable), lambda t: t.unroutable)
    row("freight, total", lambda t: _yuan(t.freight_fen), lambda t: t.freight_fen, money=True)
    row("freight, mean per routed order", lambda t: _yuan(t.mean_freight_fen), lambda t: t.mean_freight_fen, True)
    table.add_row(
        f"freight, the {report.routed_both} orders routed on both sides",
        _yuan(report.routed_both_freight_before_fen),
        _yuan(report.routed_both_freight_after_fen),
        _yuan(report.routed_both_freight_after_fen - report.routed_both_freight_before_fen),
    )
    row("promised later than the SLA", lambda t: str(t.promised_misses), lambda t: t.promised_misses)
    return table


def _loads(report: ReplayReport) -> Table:
    table = Table(title="Load per node (orders / parcels)", title_justify="left")
    for column in ("node", "orders before", "orders after", "change", "parcels before", "parcels after", "change"):
        table.add_column(column, justify="left" if column == "node" else "right")
    for load in report.node_load:
        table.add_row(
            load.node_id,
            str(load.orders_before),
            str(load.orders_after),
            _change(load.orders_before, load.orders_after),
            str(load.parcels_before),
            str(load.parcels_after),
            _change(load.parcels_before, load.parcels_after),
        )
    return table


def _routing_text(view: RoutingView) -> str:
    if view.outcome == NOT_ROUTED or not view.parcels:
        return f"{view.outcome} ({view.note})" if view.note else view.outcome
    parcels = "; ".join(
        f"{p.node_id} [{p.contents}] {p.carrier_id} {_yuan(p.freight_fen)} "
        f"by {p.promised_by.astimezone(SHANGHAI):%m-%d %H:%M} ({p.promised_hours} h{', LATE' if p.late else ''})"
        for p in view.parcels
    )
    return f"{view.outcome}: {parcels}"


def _audit_text(side: SideView) -> str:
    return f"{side.audit.outcome.value} (score {side.audit.score})"


def _change_lines(change: OrderChange) -> list[str]:
    at = change.created_at.astimezone(SHANGHAI)
    lines = [f"{change.order_key}  created {at:%Y-%m-%d %H:%M} Asia/Shanghai  changed: {', '.join(change.changed)}"]
    lines.append(f"  audit    {_audit_text(change.baseline)} -> {_audit_text(change.candidate)}")
    lines += [f"    + {hit.rule_id} (+{hit.weight}): {hit.reason}" for hit in change.hits_added]
    lines += [f"    - {hit.rule_id} (-{hit.weight}): {hit.reason}" for hit in change.hits_removed]
    lines.append(f"  routing  before {_routing_text(change.baseline.routing)}")
    lines.append(f"           after  {_routing_text(change.candidate.routing)}")
    lines += [f"    why: {reason.strip()}" for reason in change.routing_why if reason.lstrip().startswith("beat")]
    return lines


def render_table(report: ReplayReport, console: Console) -> None:
    console.print(f"[bold]Replay of {report.orders_replayed} orders[/bold]", highlight=False)
    console.print(
        f"  audit rules    {report.baseline_rules} -> {report.candidate_rules}\n"
        f"  routing policy {report.baseline_policy} -> {report.candidate_policy}\n"
        f"  network        {report.network}\n"
        f"  stock          {report.stock}\n"
        f"  input          {len(report.skipped)} invalid record(s) skipped, {report.superseded} older version(s) "
        "superseded",
        highlight=False,
        markup=False,
    )
    for skipped in report.skipped:
        console.print(f"    record {skipped.record}: {skipped.error}", highlight=False, markup=False)
    console.print()
    console.print(_summary(report))
    console.print(_loads(report))
    console.print(
        f"[bold]Decisions that differ: {len(report.changes)}[/bold] "
        f"({report.unchanged} unchanged, of which {report.score_only_changes} with other rule hits but the same "
        "outcome and routing)",
        highlight=False,
    )
    for change in report.changes:
        for line in _change_lines(change):
            console.print(line, highlight=False, markup=False, soft_wrap=True)


def _write(report: ReplayReport, fmt: str, stream: TextIO, *, terminal: bool) -> None:
    if fmt == "json":
        stream.write(report.model_dump_json(indent=2) + "\n")
        return
    console = Console(file=stream, width=None if terminal else FILE_WIDTH, no_color=not terminal, highlight=False)
    render_table(report, console)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(argv) if argv is not None else None)
    try:
        report = _run(args)
    except InputUnusable as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if args.out:
        with open(args.out, "w", encoding="utf-8") as stream:
            _write(report, args.format, stream, terminal=False)
    else:
        _write(report, args.format, sys.stdout, terminal=sys.stdout.isatty())
    return 0


if __name__ == "__main__":
    sys.exit(main())
