"""The closed loop for one listing, as pure decisions: push or wait (debounce), read back, flag and correct
drift, give up into an alarm. Nothing here talks to AWS or a platform; `handler.py` carries the steps out.

Why it cannot oscillate (docs/stock-sync.md): for a fixed target figure a listing is pushed at most
`1 + max_corrections` times — the first push, then one per correction, each at least the cool-down after the
last — and a mismatch seen after the last correction parks it in DRIFT_UNRESOLVED, where nothing is re-pushed
again. Only a new target figure (a real stock change, itself debounced) or a person's acknowledgement starts
anything new, so the number of pushes is bounded by the number of stock changes, never by what the platform
answers.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from functions.stock_sync.channel_allocation import Target, allocate
from functions.stock_sync.rules import AllocationRules, SyncSettings
from hubcore.adapters.channel_stock import ListingState, SyncStatus
from hubcore.errors import HubError

DRIFTING = frozenset({SyncStatus.DRIFT, SyncStatus.DRIFT_UNRESOLVED, SyncStatus.ACKNOWLEDGED})


class NothingToAcknowledge(HubError):
    code = "NOTHING_TO_ACKNOWLEDGE"
    http_status = 409


class Action(StrEnum):
    PUSH = "PUSH"  # push the target, then read it back
    VERIFY = "VERIFY"  # read the platform's figure back only
    WAIT = "WAIT"  # a changed figure the debounce holds back (recorded as pending)
    HOLD = "HOLD"  # drifting: waiting out the cool-down, or corrections ran out
    NONE = "NONE"


class Reason(StrEnum):
    FIRST = "FIRST"  # never pushed
    CHANGE = "CHANGE"  # changed, and the last push is older than the debounce
    URGENT = "URGENT"  # to 0, below the low-stock threshold, or a large drop: never waits
    CORRECTION = "CORRECTION"  # re-push after a drift, once the cool-down passed
    DEBOUNCED = "DEBOUNCED"
    COOLDOWN = "COOLDOWN"
    ALARM = "ALARM"  # DRIFT_UNRESOLVED: corrections stopped
    ACKNOWLEDGED = "ACKNOWLEDGED"
    DUE = "DUE"  # the figure was not read back since the last push, or not for `verify_seconds`
    IN_SYNC = "IN_SYNC"


class Finding(StrEnum):
    MATCH = "MATCH"
    RESOLVED = "RESOLVED"  # was drifting, matches now
    DRIFT_FLAGGED = "DRIFT_FLAGGED"  # a new drift episode
    DRIFT_PERSISTS = "DRIFT_PERSISTS"  # still different after a correction; more corrections allowed
    UNRESOLVED = "UNRESOLVED"  # still different after the last correction: the alarm starts
    STILL_UNRESOLVED = "STILL_UNRESOLVED"
    ACKNOWLEDGED_DRIFT = "ACKNOWLEDGED_DRIFT"  # a person owns it: no corrections, no alarm

    @property
    def differs(self) -> bool:
        return self not in (Finding.MATCH, Finding.RESOLVED)


@dataclass(frozen=True)
class Step:
    """What to do for one listing this run. `state` is the listing with the debounce bookkeeping applied
    (a pending figure recorded or cleared); save it when it differs from `listing`."""

    listing: ListingState
    target: int
    action: Action
    reason: Reason
    state: ListingState


@dataclass(frozen=True)
class SyncPlan:
    steps: tuple[Step, ...]
    rules_label: str

    def by_channel(self) -> dict[str, list[Step]]:
        grouped: dict[str, list[Step]] = defaultdict(list)
        for step in self.steps:
            grouped[step.listing.channel].append(step)
        return dict(grouped)


def is_urgent(pushed: int, target: int, settings: SyncSettings) -> bool:
    """A drop that must not wait: to zero, into low stock, or by at least `urgent_drop_percent`. Rises wait
    (showing less than there is costs a sale; showing more than there is oversells)."""
    if target >= pushed:
        return False
    crosses_low = target < settings.low_stock_threshold <= pushed
    large = (pushed - target) * 100 >= pushed * settings.urgent_drop_percent
    return target == 0 or crosses_low or large


def _verify_due(state: ListingState, now: datetime, settings: SyncSettings) -> bool:
    if state.read_at is None or (state.pushed_at is not None and state.read_at < state.pushed_at):
        return True
    return now - state.read_at >= timedelta(seconds=settings.verify_seconds)


def decide(
    state: ListingState, target: int, now: datetime, settings: SyncSettings, *, verify_all: bool = False
) -> Step:
    """The next step for one listing whose allocation is `target` now."""
    if target < 0:
        raise ValueError("a target figure is never negative")
    if state.pushed is None:
        return Step(state, target, Action.PUSH, Reason.FIRST, state)
    if target != state.pushed:
        if is_urgent(state.pushed, target, settings):
            return Step(state, target, Action.PUSH, Reason.URGENT, state)
        if state.pushed_at is None or now - state.pushed_at >= timedelta(seconds=settings.debounce_seconds):
            return Step(state, target, Action.PUSH, Reason.CHANGE, state)
        waiting = replace(state, pending=target, pending_since=state.pending_since or now)
        return Step(state, target, Action.WAIT, Reason.DEBOUNCED, waiting)

    settled = replace(state, pending=None, pending_since=None)  # a burst that came back to the pushed figure
    if state.status is SyncStatus.DRIFT:
        if state.corrections >= settings.max_corrections:  # only if the settings were lowered mid-episode
            return Step(state, target, Action.HOLD, Reason.ALARM, settled)
        since = state.last_correction_at or state.drift_since or state.read_at or now
        if now - since >= timedelta(seconds=settings.correction_cooldown_seconds):
            return Step(state, target, Action.PUSH, Reason.CORRECTION, settled)
        return Step(state, target, Action.HOLD, Reason.COOLDOWN, settled)
    if verify_all or _verify_due(state, now, settings):
        return Step(state, target, Action.VERIFY, Reason.DUE, settled)
    quiet = {SyncStatus.DRIFT_UNRESOLVED: Reason.ALARM, SyncStatus.ACKNOWLEDGED: Reason.ACKNOWLEDGED}
    return Step(state, target, Action.NONE, quiet.get(state.status, Reason.IN_SYNC), settled)


def after_push(state: ListingState, figure: int, now: datetime) -> ListingState:
    """The listing once the platform accepted `figure`. A push made while drifting counts as a correction."""
    pushed = replace(state, pushed=figure, pushed_at=now, pending=None, pending_since=None)
    if state.status is SyncStatus.DRIFT:
        return replace(pushed, corrections=state.corrections + 1, last_correction_at=now)
    return pushed


def observe(state: ListingState, platform: int, now: datetime, settings: SyncSettings) -> tuple[ListingState, Finding]:
    """The listing once the platform's figure was read back after `state.pushed` was pushed (or verified)."""
    seen = replace(state, platform=platform, read_at=now)
    if platform == state.pushed:
        finding = Finding.RESOLVED if state.status in DRIFTING else Finding.MATCH
        matched = replace(
            seen,
            status=SyncStatus.IN_SYNC,
            drift_since=None,
            corrections=0,
            last_correction_at=None,
            acknowledged_at=None,
            acknowledged_by=None,
        )
        return matched, finding
    if state.status is SyncStatus.ACKNOWLEDGED:
        acknowledged_at = state.acknowledged_at or now
        if state.pushed_at is None or state.pushed_at <= acknowledged_at:  # the figure the person looked at
            return seen, Finding.ACKNOWLEDGED_DRIFT
    if state.status is SyncStatus.DRIFT_UNRESOLVED:
        return seen, Finding.STILL_UNRESOLVED
    if state.status is SyncStatus.DRIFT:
        if state.corrections >= settings.max_corrections:
            return replace(seen, status=SyncStatus.DRIFT_UNRESOLVED), Finding.UNRESOLVED
        return seen, Finding.DRIFT_PERSISTS
    # A new episode: from IN_SYNC or NEW, or a figure changed after an acknowledgement.
    episode = replace(
        seen, drift_since=now, corrections=0, last_correction_at=None, acknowledged_at=None, acknowledged_by=None
    )
    if settings.max_corrections == 0:
        return replace(episode, status=SyncStatus.DRIFT_UNRESOLVED), Finding.UNRESOLVED
    return replace(episode, status=SyncStatus.DRIFT), Finding.DRIFT_FLAGGED


def acknowledge(state: ListingState, now: datetime, by: str) -> ListingState:
    """A person took the drift over: no more corrections or alarm for the current figure. The next real change
    of the figure, or a read-back that matches, ends the acknowledgement."""
    if state.status not in (SyncStatus.DRIFT, SyncStatus.DRIFT_UNRESOLVED):
        raise NothingToAcknowledge(
            f"listing {state.channel}/{state.shop_id}/{state.merchant_sku} is {state.status}, not drifting"
        )
    if not by.strip():
        raise NothingToAcknowledge("an acknowledgement names who made it")
    return replace(state, status=SyncStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=by.strip())


def targets_by_sku(listings: Iterable[ListingState]) -> dict[str, list[Target]]:
    found: dict[str, list[Target]] = defaultdict(list)
    for listing in listings:
        found[listing.merchant_sku].append(Target(listing.channel, listing.shop_id))
    return dict(found)


def plan_sync(
    listings: Sequence[ListingState],
    available: Mapping[str, int],
    rules: AllocationRules,
    now: datetime,
    *,
    verify_all: bool = False,
) -> SyncPlan:
    """Every listing's step this run: its SKU's `available` units (summed over the online nodes; a SKU
    missing from the mapping has 0) allocated over the channel shops that list it, then `decide`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    figures: dict[tuple[str, Target], int] = {}
    for sku, targets in targets_by_sku(listings).items():
        for target, figure in allocate(available.get(sku, 0), rules.policy_for(sku), targets).items():
            figures[(sku, target)] = figure
    steps = tuple(
        decide(
            listing,
            figures[(listing.merchant_sku, Target(listing.channel, listing.shop_id))],
            now,
            rules.sync,
            verify_all=verify_all,
        )
        for listing in listings
    )
    return SyncPlan(steps=steps, rules_label=rules.label)
