"""Scheduled SyncChannelStock: allocate the ledger's available units over every channel listing, push what
changed (debounced), read each push back and handle drift. One channel's trouble never stops the others.

A manual invocation may ask for more: `{"verify": true}` reads every listing back now (a drift audit), and
`{"acknowledge": {"channel": ..., "shop_id": ..., "merchant_sku": ..., "by": ...}}` records that a person
took a drift alarm over (docs/stock-sync.md).
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectors.registry import manifests
from connectors.sdk.contracts import Connector, StockItem
from connectors.sdk.runtime import load_connector
from functions.stock_sync.channel_allocation import online_available
from functions.stock_sync.rules import AllocationRules, load_rules
from functions.stock_sync.sync import Action, Finding, Step, acknowledge, after_push, observe, plan_sync
from hubcore.adapters.channel_stock import (
    ChannelStockStore,
    ListingNotFound,
    ListingState,
    SyncStateConflict,
    SyncStatus,
)
from hubcore.adapters.inventory import InventoryTable
from hubcore.observability import logger, metrics
from schemas.timeutil import utc_now

ConnectorFactory = Callable[[str], Connector]


@dataclass
class SyncReport:
    rules: str = ""
    listings: int = 0
    pushes: int = 0
    reads: int = 0
    waiting: int = 0  # changed figures the debounce held back
    drift: int = 0  # read-backs that differed from the figure pushed
    flagged: int = 0  # new drift episodes
    unresolved: int = 0  # listings in the alarm state after this run
    errors: int = 0
    skipped_channels: list[str] = field(default_factory=list)  # listed, but no connector could be used
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def stock_item(listing: ListingState) -> StockItem:
    return StockItem(listing.merchant_sku, listing.channel_sku_id, listing.channel_product_id)


def available_by_sku(inventory: InventoryTable, skus: set[str], rules: AllocationRules) -> dict[str, int]:
    """Each SKU's available units over the nodes that serve online channels (the rules' list, or every
    active node)."""
    nodes = rules.online_nodes
    if nodes is None:
        nodes = tuple(node.node_id for node in inventory.nodes() if node.active)
    return {
        sku: online_available([(level.node_id, level.available) for level in inventory.stock(sku)], nodes)
        for sku in sorted(skus)
    }


def _syncable(listings: list[ListingState], report: SyncReport) -> list[ListingState]:
    registered = manifests()
    unknown = sorted({listing.channel for listing in listings} - set(registered))
    if unknown:
        logger.warning("listings of channels with no registered connector are not synced", channels=unknown)
        report.skipped_channels.extend(unknown)
    silent = sorted(set(registered) - {listing.channel for listing in listings})
    if silent:
        logger.info("channels without listings are not synced", channels=silent)
    return [listing for listing in listings if listing.channel in registered]


def sync_channel_stock(
    now: datetime | None = None,
    *,
    verify_all: bool = False,
    rules: AllocationRules | None = None,
    store: ChannelStockStore | None = None,
    inventory: InventoryTable | None = None,
    connector_for: ConnectorFactory = load_connector,
) -> SyncReport:
    now = now or utc_now()
    rules = rules or load_rules()
    store = store or ChannelStockStore()
    inventory = inventory or InventoryTable()
    report = SyncReport(rules=rules.label)
    listings = _syncable(store.all_listings(), report)
    report.listings = len(listings)
    available = available_by_sku(inventory, {listing.merchant_sku for listing in listings}, rules)
    plan = plan_sync(listings, available, rules, now, verify_all=verify_all)
    end_states: list[ListingState] = []
    for channel, steps in plan.by_channel().items():
        try:
            connector = connector_for(channel)
        except Exception:  # a missing secret or broken connector must not stop the other channels
            logger.exception("channel stock sync: no connector for the channel; skipped", channel=channel)
            report.errors += 1
            report.skipped_channels.append(channel)
            end_states.extend(step.listing for step in steps)
            continue
        for step in steps:
            end_states.append(_carry_out(step, connector, store, now, rules, report))
    report.unresolved = sum(state.status is SyncStatus.DRIFT_UNRESOLVED for state in end_states)
    _emit(report)
    return report


def _carry_out(
    step: Step, connector: Connector, store: ChannelStockStore, now: datetime, rules: AllocationRules, r: SyncReport
) -> ListingState:
    listing, state = step.listing, step.state
    where = {"channel": listing.channel, "shop_id": listing.shop_id, "merchant_sku": listing.merchant_sku}
    finding: Finding | None = None
    try:
        if step.action is Action.PUSH:
            connector.push_stock(listing.shop_id, stock_item(listing), step.target)
            r.pushes += 1
            state = after_push(state, step.target, now)
        if step.action in (Action.PUSH, Action.VERIFY):
            figure = connector.read_stock(listing.shop_id, stock_item(listing))
            r.reads += 1
            state, finding = observe(state, figure, now, rules.sync)
    except Exception:  # one platform's trouble (refusal, outage, bad reply) must not stop the other listings
        logger.exception(
            "channel stock sync: platform call failed",
            extra={**where, "action": step.action.value, "target": step.target},
        )
        r.errors += 1
        if step.action is Action.PUSH and state is step.state:  # the push failed: keep the figure as pending
            state = replace(state, pending=step.target, pending_since=state.pending_since or now)
    if step.action is Action.WAIT:
        r.waiting += 1
    _report_finding(finding, state, where, r)
    r.outcomes.append(
        {
            **where,
            "action": step.action.value,
            "reason": step.reason.value,
            "target": step.target,
            "platform": state.platform,
            "status": state.status.value,
            "finding": finding.value if finding else None,
        }
    )
    if state == listing:
        return listing
    try:
        return store.save(state)
    except SyncStateConflict:
        logger.warning("channel stock sync: another run saved this listing first", extra=where)
        return listing


def _report_finding(finding: Finding | None, state: ListingState, where: Mapping[str, str], r: SyncReport) -> None:
    if finding is None:
        return
    fields = {**where, "pushed": state.pushed, "platform": state.platform, "corrections": state.corrections}
    if finding.differs:
        r.drift += 1
    if finding is Finding.DRIFT_FLAGGED:
        r.flagged += 1
        logger.warning("channel stock drift: the platform shows another figure than was pushed", extra=fields)
    elif finding is Finding.DRIFT_PERSISTS:
        logger.warning("channel stock drift persists after a correction", extra=fields)
    elif finding is Finding.UNRESOLVED:
        logger.error(
            "channel stock drift unresolved: corrections stopped; fix the platform or acknowledge", extra=fields
        )
    elif finding is Finding.RESOLVED:
        logger.info("channel stock drift resolved: the platform shows the pushed figure", extra=fields)


def _emit(report: SyncReport) -> None:
    metrics.add_metric(name="ChannelStockPushes", unit=MetricUnit.Count, value=report.pushes)
    metrics.add_metric(name="ChannelStockDrift", unit=MetricUnit.Count, value=report.drift)
    # A gauge, emitted every run: the alarm stays raised while any listing is unresolved and unacknowledged.
    metrics.add_metric(name="ChannelStockDriftUnresolved", unit=MetricUnit.Count, value=report.unresolved)
    if report.errors:
        metrics.add_metric(name="ChannelStockSyncErrors", unit=MetricUnit.Count, value=report.errors)


def acknowledge_drift(
    channel: str,
    shop_id: str,
    merchant_sku: str,
    by: str,
    *,
    now: datetime | None = None,
    store: ChannelStockStore | None = None,
) -> ListingState:
    """Record that a person took a listing's drift over (see `sync.acknowledge`)."""
    store = store or ChannelStockStore()
    state = store.get(channel, shop_id, merchant_sku)
    if state is None:
        raise ListingNotFound(f"no listing {channel}/{shop_id}/{merchant_sku}")
    saved = store.save(acknowledge(state, now or utc_now(), by))
    logger.warning("channel stock drift acknowledged", channel=channel, shop_id=shop_id, merchant_sku=merchant_sku)
    return saved


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    wanted = event.get("acknowledge")
    if isinstance(wanted, dict):
        state = acknowledge_drift(
            str(wanted.get("channel", "")),
            str(wanted.get("shop_id", "")),
            str(wanted.get("merchant_sku", "")),
            str(wanted.get("by", "")),
        )
        return {"acknowledged": {"status": state.status.value, "revision": state.revision}}
    return sync_channel_stock(verify_all=event.get("verify") is True).as_dict()
