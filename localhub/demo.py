"""`omnihub demo`: the local hub, both platform simulators and a realistic day of orders, end to end.

Orders arrive the way they do in production — Douyin pushes signed webhooks over HTTP, Tmall is polled —
and travel through the real handlers and the real state machine in moto, out to a simulated warehouse
and back to each platform as a shipment write-back. The run ends with a summary and a check of every
order's end state against the plan; any surprise makes the command exit non-zero.
"""

import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.simulator import PlatformSimulator
from connectors.tmall.simulator import TmallSimulator
from hubcore.adapters.inventory_table import InventoryTable
from localhub.hub import LocalHub
from localhub.scenario import (
    CATALOG,
    NODES,
    SHOPS,
    SOLD_OUT_SKU,
    STOCK_PER_NODE,
    Anomaly,
    Plan,
    PlannedOrder,
    build_plan,
)
from schemas.order import order_key
from schemas.timeutil import SHANGHAI, utc_now


@dataclass
class Platform:
    hub: LocalHub
    simulators: dict[str, PlatformSimulator]

    def stop(self) -> None:
        self.hub.stop()
        for simulator in self.simulators.values():
            simulator.stop()


def start_platform(
    front_door_port: int = 0,
    warehouse_delay_seconds: float = 0.2,
    serve_aws: bool = False,
    run_schedules: bool = False,  # the demo fires the pollers itself; `omnihub local` runs the template's schedules
) -> Platform:
    douyin = DouyinSimulator(
        app_key="7000000000000000000",
        app_secret=secrets.token_hex(16),
        shop_tokens={SHOPS["douyin"]: "dy-access-token"},
    )
    tmall = TmallSimulator(
        app_key="12345678", app_secret=secrets.token_hex(16), shop_tokens={SHOPS["tmall"]: "tm-session"}
    )
    simulators: dict[str, PlatformSimulator] = {"douyin": douyin, "tmall": tmall}
    for simulator in simulators.values():
        simulator.start()
    hub = LocalHub(
        simulators=simulators,
        run_schedules=run_schedules,
        warehouse_delay_seconds=warehouse_delay_seconds,
        serve_aws=serve_aws,
    )
    hub.start(front_door_port=front_door_port)
    douyin.set_push_target(f"{hub.url}/webhooks/douyin")
    _seed_inventory()
    return Platform(hub=hub, simulators=simulators)


def _seed_inventory() -> None:
    inventory = InventoryTable()
    for node in NODES:
        inventory.put_node(node.node_id, name=node.name, province=node.province, city=node.city, priority=node.priority)
        for sku in CATALOG:
            inventory.set_on_hand(sku.code, node.node_id, 0 if sku.code == SOLD_OUT_SKU else STOCK_PER_NODE)


@dataclass
class DemoReport:
    ok: bool
    seconds: float
    states: dict[str, str] = field(default_factory=dict)  # order key -> hub state
    surprises: list[str] = field(default_factory=list)


class DemoRun:
    def __init__(self, platform: Platform, plan: Plan, console: Console) -> None:
        self.platform = platform
        self.plan = plan
        self.console = console
        self.http = httpx.Client(base_url=platform.hub.url, timeout=30)
        self.keys: dict[int, str] = {}  # plan index -> order key
        self.forged_statuses: list[int] = []
        self.duplicate_statuses: list[list[int]] = []

    @property
    def douyin(self) -> DouyinSimulator:
        simulator = self.platform.simulators["douyin"]
        assert isinstance(simulator, DouyinSimulator)
        return simulator

    @property
    def tmall(self) -> TmallSimulator:
        simulator = self.platform.simulators["tmall"]
        assert isinstance(simulator, TmallSimulator)
        return simulator

    def state(self, key: str) -> str:
        response = self.http.get(f"/orders/{key}")
        return str(response.json().get("hub_state", "UNKNOWN")) if response.status_code == 200 else "NOT_FOUND"

    def stream(self, progress: Progress) -> None:
        task = progress.add_task("streaming orders", total=len(self.plan.orders))
        for planned in self.plan.orders:
            self._place(planned)
            progress.advance(task)
            if planned.index % 20 == 19:
                self.platform.hub.fire_schedules()
        self.platform.hub.fire_schedules()
        self._forge()

    def _place(self, planned: PlannedOrder) -> None:
        simulator = self.douyin if planned.channel == "douyin" else self.tmall
        paid = planned.anomaly not in (Anomaly.UNPAID, Anomaly.OUT_OF_ORDER)
        channel_order_id = simulator.place_order(planned.spec, paid=paid)
        key = order_key(planned.channel, planned.spec.shop_id, channel_order_id)
        self.keys[planned.index] = key
        if planned.anomaly is Anomaly.REFUND_BEFORE_SHIPMENT:
            self.platform.hub.warehouse.hold(key)
        if planned.channel == "douyin":
            times = 3 if planned.anomaly is Anomaly.DUPLICATE_DELIVERY else 1
            statuses = self.douyin.deliver_pending(times=times)
            if planned.anomaly is Anomaly.DUPLICATE_DELIVERY:
                self.duplicate_statuses.append(statuses)

    def _forge(self) -> None:
        """An attacker posts a well-formed Douyin push with a wrong signature: refused, nothing recorded."""
        spec = self.plan.orders[0].spec
        self.douyin.place_order(spec, paid=True)
        self.forged_statuses = self.douyin.deliver_pending(forge=True)
        self.douyin.discard_pending()

    def follow_up(self) -> None:
        """Actions that come later in an order's life: payment after an out-of-order update, refunds."""
        for planned in self.plan.orders:
            key = self.keys[planned.index]
            channel_order_id = key.split(":", 2)[2]
            simulator: Any = self.douyin if planned.channel == "douyin" else self.tmall
            if planned.anomaly is Anomaly.OUT_OF_ORDER:
                simulator.pay(channel_order_id)
                self._deliver(planned.channel)
                # The platform then serves the old, unpaid snapshot once: the hub must ignore it.
                simulator.serve_stale_once(channel_order_id)
                simulator.replay_last_message(channel_order_id)
                self._deliver(planned.channel)
        for planned in self.plan.orders:
            if planned.anomaly is Anomaly.REFUND_BEFORE_SHIPMENT:
                key = self.keys[planned.index]
                self._wait_for_state(key, "FULFILMENT_REQUESTED", timeout=60)
                simulator = self.douyin if planned.channel == "douyin" else self.tmall
                simulator.request_refund(key.split(":", 2)[2])
                self._deliver(planned.channel)

    def _deliver(self, channel: str) -> None:
        if channel == "douyin":
            self.douyin.deliver_pending()
        else:
            self.platform.hub.fire_schedules()

    def settle(self, progress: Progress, timeout: float = 180) -> dict[str, str]:
        """Wait until every order ends as planned (or the timeout), re-reading only those still moving."""
        task = progress.add_task("settling workflows", total=len(self.keys))
        deadline = time.monotonic() + timeout
        expected = {self.keys[p.index]: p.expected_state for p in self.plan.orders}
        states: dict[str, str] = {}
        pending = set(expected)
        while pending and time.monotonic() < deadline:
            for key in sorted(pending):
                states[key] = self.state(key)
            pending = {key for key in pending if states[key] != expected[key]}
            progress.update(task, completed=len(expected) - len(pending))
            if pending:
                self.platform.hub.fire_schedules()
                time.sleep(1)
        for key in pending:  # the final word on the ones that never arrived
            states[key] = self.state(key)
        progress.update(task, completed=len(expected))
        return states

    def _wait_for_state(self, key: str, state: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.state(key) != state:
            time.sleep(0.2)


def run_demo(orders: int = 200, seed: int = 7, console: Console | None = None) -> DemoReport:
    console = console or Console()
    started = time.perf_counter()
    plan = build_plan(orders, seed, utc_now().astimezone(SHANGHAI) - timedelta(days=1))
    console.print(f"[bold]OmniHub demo[/]: {orders} orders over Douyin (webhooks) and Tmall (polling), seed {seed}")
    with console.status("starting the local hub (moto, CDK template, simulators)..."):
        platform = start_platform()
    console.print(f"local hub on {platform.hub.url}; embedded AWS on {platform.hub.aws.endpoint}")
    run = DemoRun(platform, plan, console)
    try:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            run.stream(progress)
            run.follow_up()
            states = run.settle(progress)
        seconds = time.perf_counter() - started
        report = _report(run, states, seconds)
        _print_summary(console, run, report)
        return report
    finally:
        platform.stop()


def _report(run: DemoRun, states: dict[str, str], seconds: float) -> DemoReport:
    surprises = [
        f"{run.keys[p.index]} ({p.anomaly.value}): expected {p.expected_state}, ended {states.get(run.keys[p.index])}"
        for p in run.plan.orders
        if states.get(run.keys[p.index]) != p.expected_state
    ]
    if any(status != 401 for status in run.forged_statuses) or not run.forged_statuses:
        surprises.append(f"forged signature answered {run.forged_statuses}, expected 401")
    for statuses in run.duplicate_statuses:
        if any(status != 200 for status in statuses):
            surprises.append(f"duplicated delivery answered {statuses}, expected 200 each time")
    return DemoReport(ok=not surprises, seconds=seconds, states=states, surprises=surprises)


def _print_summary(console: Console, run: DemoRun, report: DemoReport) -> None:
    by_channel = Table(title="Orders per channel and end state")
    all_states = sorted(set(report.states.values()))
    by_channel.add_column("channel")
    for state in all_states:
        by_channel.add_column(state, justify="right")
    by_channel.add_column("total", justify="right")
    for channel in ("douyin", "tmall"):
        counts = Counter(s for k, s in report.states.items() if k.startswith(f"{channel}:"))
        by_channel.add_row(channel, *[str(counts.get(s, 0)) for s in all_states], str(sum(counts.values())))
    console.print(by_channel)

    ledger = InventoryTable().reservation_counts()
    totals = Table(title="Reservations and write-backs")
    totals.add_column("what")
    totals.add_column("count", justify="right")
    for status, count in sorted(ledger.items()):
        totals.add_row(f"reservation lines {status}", str(count))
    for channel, simulator in run.platform.simulators.items():
        totals.add_row(f"shipments written back to {channel}", str(len(simulator.shipments())))
    console.print(totals)

    anomalies = Table(title="Planted anomalies")
    for column in ("order", "anomaly", "expected", "ended", ""):
        anomalies.add_column(column)
    for planned in run.plan.orders:
        if planned.anomaly is Anomaly.NONE:
            continue
        key = run.keys[planned.index]
        ended = report.states.get(key, "?")
        mark = "[green]ok[/]" if ended == planned.expected_state else "[red]UNEXPECTED[/]"
        anomalies.add_row(key, planned.anomaly.value, planned.expected_state, ended, mark)
    forged_ok = run.forged_statuses and all(s == 401 for s in run.forged_statuses)
    anomalies.add_row(
        "douyin push",
        "forged signature",
        "401, nothing recorded",
        str(run.forged_statuses),
        "[green]ok[/]" if forged_ok else "[red]UNEXPECTED[/]",
    )
    console.print(anomalies)
    rate = len(report.states) / report.seconds if report.seconds else 0.0
    console.print(f"{len(report.states)} orders in {report.seconds:.1f} s ({rate:.1f} orders/s)")
    for surprise in report.surprises:
        console.print(f"[red]unexpected:[/] {surprise}")
    console.print(
        "[bold green]all orders ended as planned[/]" if report.ok else "[bold red]some orders did not end as planned[/]"
    )
