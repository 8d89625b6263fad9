"""SyncChannelStock end to end: the ledger in moto, channel secrets in moto's Secrets Manager, and the Douyin
and Tmall platform simulators over HTTP, reached through the real connectors (`load_connector`)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches

from connectors.douyin.conformance import PROFILE as DOUYIN
from connectors.douyin.simulator import DouyinSimulator
from connectors.sdk.simulator import PlatformSimulator
from connectors.tmall.conformance import PROFILE as TMALL
from connectors.tmall.simulator import TmallSimulator
from functions.stock_sync import handler as stock_sync
from functions.stock_sync.channel_allocation import Target, allocate
from functions.stock_sync.rules import AllocationRules, load_rules, parse_rules
from functions.stock_sync.seeding import seed_from_simulators
from hubcore.adapters.channel_stock import ChannelStockStore, SyncStatus
from hubcore.adapters.inventory import InventoryTable, ReservationLine
from tests.workflows.harness import NODES, REGION, HubAws

SKU, OTHER = "AC-1P-INV", "VC-CORDLESS"
T0 = datetime.now(UTC).replace(microsecond=0)
RULES: AllocationRules = parse_rules(
    json.dumps(
        {
            "version": "it-1",
            "online_nodes": ["WH-HZ", "WH-SH"],
            "policy": {
                "safety_stock": 2,
                "channels": {
                    "douyin": {"exclusive": 4, "share_percent": "50", "priority": 1},
                    "tmall": {"share_percent": "50", "priority": 2},
                },
            },
            "sync": {
                "debounce_seconds": 300,
                "low_stock_threshold": 3,
                "urgent_drop_percent": "60",
                "verify_seconds": 900,
                "max_corrections": 2,
                "correction_cooldown_seconds": 120,
            },
        }
    ).encode()
)


class EditedOnceDouyin(DouyinSimulator):
    """A seller-backend edit: the platform shows it until the next full overwrite replaces it."""

    def record_stock_push(self, shop_id: str, channel_sku_id: str, quantity: int, *, incremental: bool = False) -> int:
        with self.lock:
            self._drift.pop((shop_id, channel_sku_id), None)
        return super().record_stock_push(shop_id, channel_sku_id, quantity, incremental=incremental)


@dataclass
class World:
    douyin: DouyinSimulator
    tmall: TmallSimulator
    inventory: InventoryTable
    store: ChannelStockStore

    def sync(self, at: datetime, **options: Any) -> stock_sync.SyncReport:
        return stock_sync.sync_channel_stock(at, rules=RULES, store=self.store, inventory=self.inventory, **options)

    def shown(self, sim: PlatformSimulator, shop_id: str, sku: str = SKU) -> int:
        return sim.shown_stock(shop_id, sim.listing(shop_id, sku).channel_sku_id)

    def stock_pushes(self, sim: PlatformSimulator) -> int:
        marks = ("sku.syncStock", "taobao.item.quantity.update")
        return sum(
            any(mark in (r.path + r.body.decode("utf-8", "replace") + json.dumps(dict(r.query))) for mark in marks)
            for r in sim.requests.entries
        )

    def expected(self, available: int) -> dict[Target, int]:
        targets = [Target("douyin", DOUYIN.shop_id), Target("tmall", TMALL.shop_id)]
        return allocate(available, RULES.policy, targets)


def _secret(channel: str, sim: PlatformSimulator) -> None:
    credentials = sim.credentials()
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=f"omnihub/channels/{channel}",
        SecretString=json.dumps(
            {
                "app_key": credentials.app_key,
                "app_secret": credentials.app_secret,
                "shop_tokens": dict(credentials.shop_tokens),
                "extra": dict(credentials.extra),
            }
        ),
    )


@pytest.fixture
def world(hub_aws: HubAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    douyin_kit = DOUYIN.new_simulator()
    douyin = EditedOnceDouyin(
        app_key=douyin_kit.app_key, app_secret=douyin_kit.app_secret, shop_tokens=douyin_kit.shop_tokens
    )
    tmall = TMALL.new_simulator()
    assert isinstance(tmall, TmallSimulator)
    douyin.start()
    tmall.start()
    monkeypatch.setenv("OMNIHUB_DOUYIN_API_URL", douyin.base_url)
    monkeypatch.setenv("OMNIHUB_TMALL_API_URL", tmall.router_url)
    clear_caches()
    _secret("douyin", douyin)
    _secret("tmall", tmall)
    inventory = HubAws.seed_stock([(SKU, "WH-HZ", 30), (SKU, "WH-SH", 12), (SKU, "WH-GZ", 50), (OTHER, "WH-SH", 9)])
    store = ChannelStockStore()
    seed_from_simulators({"douyin": douyin, "tmall": tmall}, [SKU, OTHER], store=store)
    try:
        yield World(douyin, tmall, inventory, store)
    finally:
        douyin.stop()
        tmall.stop()
        clear_caches()


def test_the_allocation_is_pushed_and_the_platforms_show_it(world: World):
    report = world.sync(T0)

    # WH-GZ does not serve the online channels: 30 + 12 = 42 available, 40 after the safety stock
    expected = world.expected(42)
    assert expected == {Target("douyin", DOUYIN.shop_id): 22, Target("tmall", TMALL.shop_id): 18}
    assert world.shown(world.douyin, DOUYIN.shop_id) == 22
    assert world.shown(world.tmall, TMALL.shop_id) == 18
    assert (report.pushes, report.reads, report.drift, report.errors) == (4, 4, 0, 0)
    # 9 - 2 = 7: douyin's exclusive 4, then 3 shared 1.5 / 1.5, the odd unit to the first key by name
    assert world.shown(world.douyin, DOUYIN.shop_id, OTHER) == 6
    assert world.shown(world.tmall, TMALL.shop_id, OTHER) == 1
    stored = world.store.get("douyin", DOUYIN.shop_id, SKU)
    assert stored is not None and (stored.status, stored.pushed, stored.platform) == (SyncStatus.IN_SYNC, 22, 22)
    assert report.rules == RULES.label and "jd" not in report.skipped_channels

    quiet = world.sync(T0 + timedelta(minutes=1))
    assert (quiet.pushes, quiet.reads) == (0, 0)


def test_a_reservation_lowers_the_figures_after_the_debounce(world: World):
    world.sync(T0)
    world.inventory.reserve("douyin:123456:4900000000000000077", "WH-HZ", [ReservationLine(SKU, 2)])

    held = world.sync(T0 + timedelta(minutes=1))
    assert held.pushes == 0 and held.waiting == 2
    pending = world.store.get("tmall", TMALL.shop_id, SKU)
    assert pending is not None and (pending.pushed, pending.pending) == (18, 17)
    assert world.shown(world.tmall, TMALL.shop_id) == 18

    released = world.sync(T0 + timedelta(minutes=5))
    assert released.pushes == 2
    assert (world.shown(world.douyin, DOUYIN.shop_id), world.shown(world.tmall, TMALL.shop_id)) == (21, 17)
    done = world.store.get("tmall", TMALL.shop_id, SKU)
    assert done is not None and (done.pushed, done.pending, done.status) == (17, None, SyncStatus.IN_SYNC)


def test_selling_out_is_pushed_at_once(world: World):
    world.sync(T0)
    world.inventory.reserve("tmall:2200000001:39", "WH-SH", [ReservationLine(OTHER, 8)])

    report = world.sync(T0 + timedelta(seconds=30))

    assert report.pushes == 2 and report.waiting == 0
    assert world.shown(world.douyin, DOUYIN.shop_id, OTHER) == 0 == world.shown(world.tmall, TMALL.shop_id, OTHER)


def test_a_drift_is_flagged_then_corrected_once(world: World, monkeypatch: pytest.MonkeyPatch):
    seen: list[tuple[str, float]] = []
    monkeypatch.setattr(stock_sync.metrics, "add_metric", lambda name, unit, value: seen.append((name, value)))
    world.sync(T0)
    world.douyin.drift_stock(DOUYIN.shop_id, SKU, -5)  # someone edited the figure in Douyin's seller backend

    flagged = world.sync(T0 + timedelta(minutes=1), verify_all=True)
    assert (flagged.flagged, flagged.drift, flagged.pushes) == (1, 1, 0)
    assert ("ChannelStockDrift", 1) in seen
    drifting = world.store.get("douyin", DOUYIN.shop_id, SKU)
    assert drifting is not None and (drifting.status, drifting.pushed, drifting.platform) == (SyncStatus.DRIFT, 22, 17)

    cooling = world.sync(T0 + timedelta(minutes=2))
    assert cooling.pushes == 0

    corrected = world.sync(T0 + timedelta(minutes=3))
    assert corrected.pushes == 1 and corrected.drift == 0
    assert world.shown(world.douyin, DOUYIN.shop_id) == 22
    resolved = world.store.get("douyin", DOUYIN.shop_id, SKU)
    assert resolved is not None and resolved.status is SyncStatus.IN_SYNC and resolved.corrections == 0
    assert world.stock_pushes(world.douyin) == 3  # two first pushes (both SKUs) and one correction


def test_a_persistent_drift_gets_a_bounded_number_of_pushes_then_an_alarm_until_acknowledged(world: World):
    world.tmall.drift_stock(TMALL.shop_id, SKU, -2)  # a platform-side hold the overwrite does not clear
    reports = [world.sync(T0 + timedelta(minutes=minute)) for minute in range(0, 30)]

    assert world.stock_pushes(world.tmall) == 2 + 2  # both SKUs' first pushes, then 2 corrections of SKU
    assert reports[-1].unresolved == 1 and reports[-1].pushes == 0
    alarm = world.store.get("tmall", TMALL.shop_id, SKU)
    assert alarm is not None and (alarm.status, alarm.corrections) == (SyncStatus.DRIFT_UNRESOLVED, 2)
    assert world.shown(world.tmall, TMALL.shop_id) == 16

    response = stock_sync.lambda_handler(
        {"acknowledge": {"channel": "tmall", "shop_id": TMALL.shop_id, "merchant_sku": SKU, "by": "ops@brand"}},
        _Context(),
    )
    assert response["acknowledged"]["status"] == "ACKNOWLEDGED"
    after = world.sync(T0 + timedelta(minutes=31))
    assert after.unresolved == 0 and after.pushes == 0


def test_one_channels_trouble_does_not_stop_the_others(world: World):
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId="omnihub/channels/douyin", SecretString=json.dumps({"placeholder": "x"})
    )
    clear_caches()

    report = world.sync(T0)

    assert report.skipped_channels == ["douyin"] and report.errors == 1
    assert world.shown(world.tmall, TMALL.shop_id) == 18
    untouched = world.store.get("douyin", DOUYIN.shop_id, SKU)
    assert untouched is not None and untouched.status is SyncStatus.NEW


def test_a_refused_listing_stays_pending_and_the_rest_of_its_channel_is_synced(world: World):
    world.store.register_listing("douyin", DOUYIN.shop_id, SKU, "999", "99")  # ids Douyin does not know

    report = world.sync(T0)

    assert report.errors == 1 and report.pushes == 3
    refused = world.store.get("douyin", DOUYIN.shop_id, SKU)
    assert refused is not None and (refused.pushed, refused.pending, refused.status) == (None, 22, SyncStatus.NEW)
    assert world.shown(world.douyin, DOUYIN.shop_id, OTHER) == 6


@dataclass
class _Context:
    function_name: str = "SyncChannelStock"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:SyncChannelStock"
    aws_request_id: str = "it-request"


def test_nodes_used_are_the_active_ones_when_the_rules_name_none(world: World):
    everywhere = RULES.model_copy(update={"online_nodes": None})
    assert [node.node_id for node in NODES] == ["WH-HZ", "WH-SH", "WH-GZ"]

    stock_sync.sync_channel_stock(T0, rules=everywhere, store=world.store, inventory=world.inventory)

    # 92 available over every active node, 90 after the safety stock: douyin 4 + 43, tmall 43
    assert (world.shown(world.douyin, DOUYIN.shop_id), world.shown(world.tmall, TMALL.shop_id)) == (47, 43)


def test_the_scheduled_invocation_applies_the_packaged_rules(world: World):
    event = {"source": "aws.scheduler", "resources": ["arn:aws:scheduler:::schedule/default/x"], "detail": "{}"}
    result = stock_sync.lambda_handler(event, _Context())

    packaged = load_rules()
    targets = [Target("douyin", DOUYIN.shop_id), Target("tmall", TMALL.shop_id)]
    wanted = allocate(92, packaged.policy_for(SKU), targets)  # no online_nodes in the packaged file: all nodes
    assert result["rules"] == packaged.label and result["errors"] == 0
    assert world.shown(world.douyin, DOUYIN.shop_id) == wanted[targets[0]]
    assert world.shown(world.tmall, TMALL.shop_id) == wanted[targets[1]]
