"""`omnihub demo`: the local hub, every registered channel's simulator and a busy hour of orders, end to end.

Orders arrive the way they do in production — pushing platforms post signed webhooks over HTTP, the others are
polled by their scheduled pollers — and travel through the real handlers and the real state machine in moto,
out to a simulated warehouse and back to each platform as a shipment write-back. The run ends with a summary
and a check of every order's end state against the plan; any surprise makes the command exit non-zero.
"""

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from connectors.registry import import_dotted, manifests
from connectors.sdk.poll_handler import POLL_SAFETY_LAG_ENV
from connectors.sdk.simulator import PlatformSimulator
from functions.stock_sync.seeding import seed_from_simulators
from functions.workflow.logic.routing import load_network
from hubcore.adapters.inventory import InventoryTable
from localhub.hub import LocalHub
from localhub.scenario import (
    CATALOG,
    SOLD_OUT_SKU,
    SPLIT_NODE,
    SPLIT_PARTNER_SKU,
    SPLIT_SKU,
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
    shops: dict[str, str]  # channel -> the shop (or store) the demo sells through

    def stop(self) -> None:
        self.hub.stop()
        for simulator in self.simulators.values():
            simulator.stop()

    def takes_webhooks(self, channel: str) -> bool:
        return manifests()[channel].webhook_handler is not None


# Demo data the profiles' kit defaults do not fit: the POS sells through two flagship stores of the network.
DEMO_STORES = ("ST-SH-01", "ST-BJ-01")
# Production polls every few minutes and each window re-reads the last minute (`window_overlap`). The demo's hour
# of orders streams in about a minute, so firing the pollers every few seconds re-read each polled order several
# times over; it fires them every STREAM_POLL_SECONDS while streaming, and while it waits only once a platform-side
# change is old enough to be inside a poll window (POLL_FALLBACK_SECONDS: a fire anyway, if orders still wait).
STREAM_POLL_SECONDS = 30.0
POLL_FALLBACK_SECONDS = 10.0
STATE_POLL_SECONDS = 0.25  # how long the demo pauses between reads of an order it waits for
DRIFT_SKU = "KT-17L"  # the platform that drifts shows 3 units fewer of this SKU than the hub pushed


def _demo_simulator(channel: str) -> tuple[PlatformSimulator, str]:
    if channel == "pos":
        from connectors.pos.simulator import PosSimulator

        return PosSimulator(stores=DEMO_STORES), DEMO_STORES[0]
    profile = import_dotted(f"connectors.{channel}.conformance:PROFILE")
    return profile.new_simulator(), profile.shop_id


def start_platform(
    front_door_port: int = 0,
    warehouse_delay_seconds: float = 0.2,
    serve_aws: bool = False,
    run_schedules: bool = False,  # the demo fires the pollers itself; `omnihub local` runs the template's schedules
    channels: Sequence[str] | None = None,  # default: every registered connector
) -> Platform:
    simulators: dict[str, PlatformSimulator] = {}
    shops: dict[str, str] = {}
    for channel in channels or sorted(manifests()):
        simulators[channel], shops[channel] = _demo_simulator(channel)
        simulators[channel].start()
    hub = LocalHub(
        simulators=simulators,
        run_schedules=run_schedules,
        warehouse_delay_seconds=warehouse_delay_seconds,
        serve_aws=serve_aws,
    )
    hub.start(front_door_port=front_door_port)
    _seed_inventory()
    return Platform(hub=hub, simulators=simulators, shops=shops)


def _seed_inventory() -> None:
    """Every node of the routing network stocks the catalogue (except the sold-out SKU)."""
    inventory = InventoryTable()
    for priority, node in enumerate(load_network().nodes, start=1):
        inventory.put_node(node.node_id, name=node.name, province=node.province, city=node.city, priority=priority)
        for sku in CATALOG:
            inventory.set_on_hand(sku.code, node.node_id, _demo_stock(sku.code, node.node_id))


def _demo_stock(sku: str, node_id: str) -> int:
    if sku == SOLD_OUT_SKU:
        return 0
    if sku == SPLIT_SKU:
        return STOCK_PER_NODE if node_id == SPLIT_NODE else 0
    if sku == SPLIT_PARTNER_SKU and node_id == SPLIT_NODE:
        return 0  # so no one node holds both: the split order ships in two parcels
    return STOCK_PER_NODE


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
        self.forged_statuses: dict[str, list[int]] = {}  # channel -> statuses a forged push got
        self.reviews: list[tuple[str, str, int]] = []  # (order key, rules that held it, API status)
        self.sync_reports: list[dict[str, Any]] = []
        self.explained: dict[str, tuple[Anomaly, int, dict[str, Any]]] = {}  # order key -> its decision
        self.drifted = ""
        self.duplicate_statuses: list[list[int]] = []
        self.pollers = PollerPacer(platform)

    def state(self, key: str) -> str:
        response = self.http.get(f"/orders/{key}")
        return str(response.json().get("hub_state", "UNKNOWN")) if response.status_code == 200 else "NOT_FOUND"

    def push(self, channel: str, order_id: str, *, times: int = 1, forge: bool = False) -> list[int]:
        """POST the platform's push about the order to the hub's webhook, as the platform would."""
        request = self.platform.simulators[channel].push_request(order_id, forge=forge)
        statuses = []
        for _ in range(times):
            response = self.http.request(
                request.method,
                f"/webhooks/{channel}",
                params=dict(request.query),
                headers=dict(request.headers),
                content=request.body,
            )
            statuses.append(response.status_code)
        return statuses

    def stream(self, progress: Progress) -> None:
        task = progress.add_task("streaming orders", total=len(self.plan.orders))
        merges: list[PlannedOrder] = []  # held back: see `_merge_first`

        def place(planned: PlannedOrder) -> None:
            self._place(planned)
            progress.advance(task)

        for planned in self.plan.orders:
            if planned.anomaly is Anomaly.MERGED:
                merges.append(planned)
            else:
                place(planned)
            merges = self._place_ready_merges(merges, place)
            if self.pollers.since_last_fire() >= STREAM_POLL_SECONDS:
                self.pollers.fire()
        self.pollers.fire()
        deadline = time.monotonic() + 120
        while merges and time.monotonic() < deadline:
            merges = self._place_ready_merges(merges, place)
            if merges:
                self.pollers.fire_if_due([key for m in merges if (key := self._merge_first(m))])
                time.sleep(STATE_POLL_SECONDS)
        for planned in merges:  # the first never reached the warehouse: placed anyway, and the summary says so
            place(planned)
        self._forge()

    def _place_ready_merges(
        self, merges: list[PlannedOrder], place: Callable[[PlannedOrder], None]
    ) -> list[PlannedOrder]:
        """Place each held-back merge whose first order waits at the warehouse; return the others."""
        waiting = []
        for planned in merges:
            first = self._merge_first(planned)
            if first is None or self.platform.hub.warehouse.has_request(first):
                place(planned)
            else:
                waiting.append(planned)
        return waiting

    def _merge_first(self, planned: PlannedOrder) -> str | None:
        """The key of the receiver's first order, which a planted merge's order must find waiting at the
        warehouse, as it does when a buyer orders again minutes later. So the second order is placed only once
        the first one's fulfilment request has reached the (simulated) warehouse: placed together, both could
        reach RequestFulfilment at the same moment, neither would find the other's fulfilment open, and they
        would ship apart."""
        first = next(
            (
                p
                for p in self.plan.orders
                if p.anomaly is Anomaly.MERGED_FIRST and p.channel == planned.channel and p.index < planned.index
            ),
            None,
        )
        return self.keys.get(first.index) if first is not None else None

    def _place(self, planned: PlannedOrder) -> None:
        simulator = self.platform.simulators[planned.channel]
        paid = planned.anomaly not in (Anomaly.UNPAID, Anomaly.OUT_OF_ORDER)
        channel_order_id = simulator.place_order(planned.spec, paid=paid)
        key = order_key(planned.channel, planned.spec.shop_id, channel_order_id)
        self.keys[planned.index] = key
        self.pollers.changed(key)
        if planned.anomaly in (Anomaly.REFUND_BEFORE_SHIPMENT, Anomaly.MERGED_FIRST):
            self.platform.hub.warehouse.hold(key)  # a refund or a merge must find the parcel not yet shipped
        if self.platform.takes_webhooks(planned.channel):
            times = 3 if planned.anomaly is Anomaly.DUPLICATE_DELIVERY else 1
            statuses = self.push(planned.channel, channel_order_id, times=times)
            if planned.anomaly is Anomaly.DUPLICATE_DELIVERY:
                self.duplicate_statuses.append(statuses)

    def _forge(self) -> None:
        """An attacker replays each webhook channel's push for a real order, signed with a wrong key: refused."""
        for planned in self.plan.orders:
            channel = planned.channel
            if channel in self.forged_statuses or not self.platform.takes_webhooks(channel):
                continue
            order_id = self.keys[planned.index].split(":", 2)[2]
            self.forged_statuses[channel] = self.push(channel, order_id, forge=True)

    def follow_up(self) -> None:
        """Actions that come later in an order's life: payment after an out-of-order update, refunds."""
        for planned in self.plan.orders:
            if planned.anomaly is Anomaly.OUT_OF_ORDER:
                simulator: Any = self.platform.simulators[planned.channel]
                key = self.keys[planned.index]
                channel_order_id = key.split(":", 2)[2]
                simulator.pay(channel_order_id)
                self.pollers.changed(key)
                self._deliver(planned.channel, channel_order_id)
                # The platform then serves the old, unpaid snapshot once: the hub must ignore it.
                simulator.serve_stale_once(channel_order_id)
                simulator.replay_last_message(channel_order_id)
                self._deliver(planned.channel, channel_order_id)
        refunds = [p for p in self.plan.orders if p.anomaly is Anomaly.REFUND_BEFORE_SHIPMENT]
        self._wait_for_states([self.keys[p.index] for p in refunds], "FULFILMENT_REQUESTED", timeout=120)
        for planned in refunds:
            channel_order_id = self.keys[planned.index].split(":", 2)[2]
            self.platform.simulators[planned.channel].request_refund(channel_order_id)
            self.pollers.changed(self.keys[planned.index])
            if self.platform.takes_webhooks(planned.channel):
                self.push(planned.channel, channel_order_id)
        self.pollers.fire()

    def approve_held(self) -> None:
        """A reviewer lists the held orders and approves the one the plan says they would (the review API)."""
        wanted = [self.keys[p.index] for p in self.plan.orders if p.anomaly is Anomaly.REVIEW_APPROVED]
        self._wait_for_states(wanted, "HELD", timeout=120)
        held = {entry["order_key"]: entry for entry in self.http.get("/reviews").json().get("held", [])}
        for key in wanted:
            reasons = "; ".join(r["rule_id"] for r in held.get(key, {}).get("reasons", []))
            body = {"decision": "APPROVE", "reason": "buyer confirmed the district by phone"}
            response = self.http.post(f"/reviews/{key}", json=body)
            self.reviews.append((key, reasons, response.status_code))

    def decisions(self) -> None:
        """Fetch the explained routing decision of the split order and of the merged pair."""
        for planned in self.plan.orders:
            if planned.anomaly in (Anomaly.SPLIT, Anomaly.MERGED_FIRST, Anomaly.MERGED):
                key = self.keys[planned.index]
                response = self.http.get(f"/orders/{key}/decision")
                body = response.json() if response.status_code == 200 else {}
                self.explained[key] = (planned.anomaly, response.status_code, body)

    def stock_sync(self) -> None:
        """Publish every SKU on every channel, push each channel's sellable figure, then let one platform drift."""
        seed_from_simulators(
            self.platform.simulators,
            [sku.code for sku in CATALOG],
            shops={channel: [shop] for channel, shop in self.platform.shops.items()},
        )
        self.sync_reports.append(self._sync())
        channel = "jd" if "jd" in self.platform.simulators else sorted(self.platform.simulators)[0]
        self.platform.simulators[channel].drift_stock(self.platform.shops[channel], DRIFT_SKU, -3)
        self.drifted = channel
        self.sync_reports.append(self._sync())

    def _sync(self) -> dict[str, Any]:
        runner = next(s for s in self.platform.hub.schedules if s.schedule_arn.endswith("SyncChannelStockSchedule"))
        result: dict[str, Any] = self.platform.hub.lambdas.invoke(runner.function_name, {"verify": True})
        return result

    def _deliver(self, channel: str, order_id: str) -> None:
        if self.platform.takes_webhooks(channel):
            self.push(channel, order_id)
        else:
            self.pollers.fire()

    def settle(self, progress: Progress, timeout: float = 240) -> dict[str, str]:
        """Wait until every order ends as planned (or the timeout), reading each through the operator API.

        Orders are read in the order they were placed, up to the first one still moving: the ones behind it
        are read when the pause is over. Waiting so costs one read per pause, not one per pending order (each
        read is a full `GET /orders/{key}`), and every order is still read until it shows its planned state."""
        task = progress.add_task("settling workflows", total=len(self.keys))
        deadline = time.monotonic() + timeout
        expected = {self.keys[p.index]: p.expected_state for p in self.plan.orders}
        states: dict[str, str] = {}
        pending = list(expected)  # in plan order
        while pending and time.monotonic() < deadline:
            while pending:
                key = pending[0]
                states[key] = self.state(key)
                if states[key] != expected[key]:
                    break
                pending.pop(0)
            progress.update(task, completed=len(expected) - len(pending))
            if pending:
                self.pollers.fire_if_due(pending)
                time.sleep(STATE_POLL_SECONDS)
        for key in pending:  # the final word on the ones that never arrived
            states[key] = self.state(key)
        progress.update(task, completed=len(expected))
        return states

    def _wait_for_states(self, keys: list[str], state: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(keys)
        while waiting and time.monotonic() < deadline:
            waiting = [key for key in waiting if self.state(key) != state]
            if waiting:
                self.pollers.fire_if_due(waiting)
                time.sleep(STATE_POLL_SECONDS)


class PollerPacer:
    """When the demo fires the channels' pollers (it does so instead of waiting minutes for their schedules).

    It remembers when the demo last changed each polled order at its platform. A window poll sees a change once
    the change is older than the pollers' safety lag, so a waiting order needs a fire only if it changed after
    the last fire could see it, and not before the lag has passed; a pushing channel's order needs none."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._lag = float(os.environ.get(POLL_SAFETY_LAG_ENV, "3")) + 1.0  # platforms stamp whole seconds
        self._changed: dict[str, float] = {}  # order key -> when the demo last changed it at its platform
        self._last_fire = time.monotonic()
        self._seen_until = float("-inf")  # changes before this were old enough for the last fire to see

    def changed(self, key: str) -> None:
        if not self._platform.takes_webhooks(key.split(":", 1)[0]):
            self._changed[key] = time.monotonic()

    def since_last_fire(self) -> float:
        return time.monotonic() - self._last_fire

    def fire(self) -> None:
        now = time.monotonic()
        self._platform.hub.fire_schedules(pollers_only=True)
        self._last_fire, self._seen_until = now, now - self._lag

    def fire_if_due(self, waiting: list[str]) -> None:
        now = time.monotonic()
        changes = [self._changed[key] for key in waiting if key in self._changed]
        unseen = [at for at in changes if at > self._seen_until]
        if any(at <= now - self._lag for at in unseen) or (changes and self.since_last_fire() >= POLL_FALLBACK_SECONDS):
            self.fire()


def run_demo(orders: int = 200, seed: int = 7, console: Console | None = None) -> DemoReport:
    console = console or Console()
    started = time.perf_counter()
    with console.status("starting the local hub (moto, CDK template, every channel's simulator)..."):
        platform = start_platform()
    channels = sorted(platform.simulators)
    webhooks = frozenset(c for c in channels if platform.takes_webhooks(c))
    # The last hour of a busy day: every order is inside the pollers' first look-back window.
    plan = build_plan(
        orders,
        seed,
        utc_now().astimezone(SHANGHAI) - timedelta(minutes=55),
        channels=channels,
        shops=platform.shops,
        webhook_channels=webhooks,
        spread_seconds=45 * 60,
    )
    console.print(f"[bold]OmniHub demo[/]: {orders} orders over {len(channels)} channels, seed {seed}")
    console.print(f"local hub on {platform.hub.url}; embedded AWS on {platform.hub.aws.endpoint}")
    run = DemoRun(platform, plan, console)
    try:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            run.stream(progress)
            run.follow_up()
            run.approve_held()
            states = run.settle(progress)
        run.decisions()
        run.stock_sync()
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
    for channel, statuses in sorted(run.forged_statuses.items()):
        if not statuses or any(status != 401 for status in statuses):
            surprises.append(f"a forged {channel} push answered {statuses}, expected 401")
    for statuses in run.duplicate_statuses:
        if any(not 200 <= status < 300 for status in statuses):
            surprises.append(f"duplicated delivery answered {statuses}, expected an acceptance each time")
    for key, (anomaly, status, body) in run.explained.items():
        parcels = len((body.get("decision") or {}).get("chosen", {}).get("parcels", [])) if status == 200 else 0
        if status != 200:
            surprises.append(f"GET /orders/{key}/decision answered {status}")
        elif anomaly is Anomaly.SPLIT and parcels != 2:
            surprises.append(f"{key} should have shipped in two parcels, its decision has {parcels}")
        elif anomaly is Anomaly.MERGED and "merge" not in body.get("explanation", "").lower():
            surprises.append(f"{key} should have joined the previous order's shipment")
    for key, _, status in run.reviews:
        if status != 200:
            surprises.append(f"approving {key} through the review API answered {status}")
    if len(run.sync_reports) == 2:
        first, second = run.sync_reports
        if first["pushes"] == 0 or first["drift"] != 0:
            surprises.append(f"the first stock sync pushed {first['pushes']} figures with {first['drift']} drifting")
        if second["flagged"] < 1:
            surprises.append(f"{run.drifted} was told to drift but the stock sync flagged nothing")
    return DemoReport(ok=not surprises, seconds=seconds, states=states, surprises=surprises)


def _print_summary(console: Console, run: DemoRun, report: DemoReport) -> None:
    by_channel = Table(title="Orders per channel and end state")
    all_states = sorted(set(report.states.values()))
    by_channel.add_column("channel")
    for state in all_states:
        by_channel.add_column(state, justify="right")
    by_channel.add_column("total", justify="right")
    for channel in sorted(run.platform.simulators):
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
    for channel, statuses in sorted(run.forged_statuses.items()):
        forged_ok = bool(statuses) and all(s == 401 for s in statuses)
        anomalies.add_row(
            f"{channel} push",
            "forged signature",
            "401, nothing recorded",
            str(statuses),
            "[green]ok[/]" if forged_ok else "[red]UNEXPECTED[/]",
        )
    console.print(anomalies)

    brain = Table(title="Order brain")
    brain.add_column("what")
    brain.add_column("result")
    for key, held_by, answer in run.reviews:
        brain.add_row("held order approved via POST /reviews/{order_key}", f"{key} (held by {held_by}): HTTP {answer}")
    if len(run.sync_reports) == 2:
        first, second = run.sync_reports
        brain.add_row(
            "channel stock pushed and read back",
            f"{first['listings']} listings, {first['pushes']} pushes, {first['reads']} read-backs, "
            f"{first['drift']} drifting",
        )
        drifting = [o for o in second["outcomes"] if o["status"] != "IN_SYNC"]
        detail = ", ".join(
            f"{o['channel']} {o['merchant_sku']}: pushed {o['target']}, platform shows {o['platform']}"
            for o in drifting
        )
        brain.add_row(
            f"drift alarm ({run.drifted} told to show 3 fewer {DRIFT_SKU})",
            f"flagged {second['flagged']}: {detail or 'none'} (metric ChannelStockDrift)",
        )
    console.print(brain)
    for key, (anomaly, answer, body) in run.explained.items():
        if answer == 200 and anomaly in (Anomaly.SPLIT, Anomaly.MERGED):
            lines = str(body.get("explanation", "")).splitlines()
            console.print(f"[bold]GET /orders/{key}/decision[/] ({anomaly.value}):")
            shown = lines[:5] + [line for line in lines[5:] if "merge" in line.lower() or "parcel" in line.lower()]
            for line in shown[:12]:
                console.print(f"  {line}")
    rate = len(report.states) / report.seconds if report.seconds else 0.0
    console.print(f"{len(report.states)} orders in {report.seconds:.1f} s ({rate:.1f} orders/s)")
    for surprise in report.surprises:
        console.print(f"[red]unexpected:[/] {surprise}")
    console.print(
        "[bold green]all orders ended as planned[/]" if report.ok else "[bold red]some orders did not end as planned[/]"
    )
