"""The sync state machine (pure): debounce, read-back, drift correction and its bound, acknowledgement."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.stock_sync.rules import AllocationPolicy, AllocationRules, SyncSettings
from functions.stock_sync.sync import (
    Action,
    Finding,
    NothingToAcknowledge,
    Reason,
    acknowledge,
    after_push,
    decide,
    is_urgent,
    observe,
    plan_sync,
)
from hubcore.adapters.channel_stock import ListingState, SyncStatus

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SETTINGS = SyncSettings(
    debounce_seconds=300,
    low_stock_threshold=5,
    urgent_drop_percent=50,
    verify_seconds=900,
    max_corrections=2,
    correction_cooldown_seconds=120,
)


def listing(**fields: object) -> ListingState:
    base = ListingState(channel="douyin", shop_id="123456", merchant_sku="AC-1P", channel_sku_id="3000000001")
    return replace(base, **fields)  # type: ignore[arg-type]


def synced(figure: int, at: datetime = T0) -> ListingState:
    return listing(status=SyncStatus.IN_SYNC, pushed=figure, pushed_at=at, platform=figure, read_at=at)


class Platform:
    """A fake platform: stores what is pushed; `reads` decides what a read shows (default: the truth)."""

    def __init__(self, shows=None) -> None:
        self.figure = 0
        self.pushes: list[int] = []
        self.read_count = 0
        self.shows = shows or (lambda figure, reads: figure)

    def push(self, figure: int) -> None:
        self.figure = figure
        self.pushes.append(figure)

    def read(self) -> int:
        self.read_count += 1
        return self.shows(self.figure, self.read_count)


def run(state: ListingState, target: int, now: datetime, platform: Platform, s: SyncSettings = SETTINGS):
    """What the handler does for one listing, without AWS."""
    step = decide(state, target, now, s)
    new, finding = step.state, None
    if step.action is Action.PUSH:
        platform.push(step.target)
        new = after_push(new, step.target, now)
    if step.action in (Action.PUSH, Action.VERIFY):
        new, finding = observe(new, platform.read(), now, s)
    return step, new, finding


# --- debounce ---------------------------------------------------------------------------------------------


def test_a_listing_never_pushed_is_pushed_at_once():
    step = decide(listing(), 12, T0, SETTINGS)

    assert (step.action, step.reason) == (Action.PUSH, Reason.FIRST)


def test_an_unchanged_figure_is_not_pushed_and_is_read_back_only_when_verification_is_due():
    assert decide(synced(12), 12, T0 + timedelta(minutes=1), SETTINGS).action is Action.NONE
    step = decide(synced(12), 12, T0 + timedelta(seconds=900), SETTINGS)
    assert (step.action, step.reason) == (Action.VERIFY, Reason.DUE)
    assert decide(synced(12), 12, T0 + timedelta(minutes=1), SETTINGS, verify_all=True).action is Action.VERIFY


def test_a_small_change_soon_after_a_push_waits_and_is_recorded_as_pending():
    first = decide(synced(20), 19, T0 + timedelta(seconds=30), SETTINGS)
    assert (first.action, first.reason) == (Action.WAIT, Reason.DEBOUNCED)
    assert (first.state.pending, first.state.pending_since) == (19, T0 + timedelta(seconds=30))

    later = decide(first.state, 18, T0 + timedelta(seconds=90), SETTINGS)
    assert later.action is Action.WAIT
    assert (later.state.pending, later.state.pending_since) == (18, T0 + timedelta(seconds=30))

    due = decide(later.state, 18, T0 + timedelta(seconds=300), SETTINGS)
    assert (due.action, due.reason, due.target) == (Action.PUSH, Reason.CHANGE, 18)
    assert after_push(due.state, 18, T0 + timedelta(seconds=300)).pending is None


def test_a_burst_that_comes_back_to_the_pushed_figure_clears_the_pending_one():
    waiting = decide(synced(20), 19, T0 + timedelta(seconds=30), SETTINGS).state

    step = decide(waiting, 20, T0 + timedelta(seconds=60), SETTINGS)

    assert step.action is Action.NONE and step.state.pending is None


@pytest.mark.parametrize(
    ("pushed", "target", "urgent"),
    [
        (20, 0, True),  # sold out never waits
        (6, 4, True),  # crosses into low stock (threshold 5)
        (5, 4, True),  # 5 is not low stock yet, 4 is
        (4, 3, False),  # already low: a one-unit drop waits
        (20, 10, True),  # a 50 % drop
        (20, 11, False),
        (3, 30, False),  # a rise waits: showing less than there is does not oversell
    ],
)
def test_urgent_drops(pushed: int, target: int, urgent: bool):
    assert is_urgent(pushed, target, SETTINGS) is urgent
    step = decide(synced(pushed), target, T0 + timedelta(seconds=10), SETTINGS)
    assert step.action is (Action.PUSH if urgent else Action.WAIT)


def test_a_burst_of_reservations_on_a_hot_sku_gives_one_push_per_debounce_interval():
    platform, state = Platform(), listing()
    stock, pushes_at = 400, []
    for second in range(0, 3600, 60):  # the schedule: every minute for an hour
        stock -= 3  # a reservation every 20 s: 3 per minute, never a large drop
        step, state, _ = run(state, stock, T0 + timedelta(seconds=second), platform)
        if step.action is Action.PUSH:
            pushes_at.append(second)

    assert len(pushes_at) == 12  # the first, then one per 300 s
    assert all(b - a >= 300 for a, b in zip(pushes_at, pushes_at[1:], strict=False))
    assert platform.figure >= stock and platform.figure - stock <= 3 * 5


# --- drift ---------------------------------------------------------------------------------------------------


def test_a_read_back_that_differs_is_flagged_and_corrected_once_after_the_cooldown():
    edited = {"on": True}

    def shows(figure: int, reads: int) -> int:
        return figure - 3 if edited["on"] else figure

    platform = Platform(shows)
    step, state, finding = run(listing(), 10, T0, platform)
    assert finding is Finding.DRIFT_FLAGGED and state.status is SyncStatus.DRIFT and state.platform == 7

    step, state, finding = run(state, 10, T0 + timedelta(seconds=60), platform)
    assert (step.action, step.reason, finding) == (Action.HOLD, Reason.COOLDOWN, None)

    edited["on"] = False  # the overwrite replaced the seller's edit
    step, state, finding = run(state, 10, T0 + timedelta(seconds=120), platform)
    assert (step.reason, finding, state.status) == (Reason.CORRECTION, Finding.RESOLVED, SyncStatus.IN_SYNC)
    assert platform.pushes == [10, 10] and state.corrections == 0 and state.drift_since is None


def test_a_platform_that_deducts_two_units_on_every_read_gets_a_bounded_number_of_pushes_and_settles():
    platform = Platform(lambda figure, reads: max(0, figure - 2 * reads))
    state, statuses = listing(), []
    for minute in range(180):
        _, state, _ = run(state, 40, T0 + timedelta(minutes=minute), platform)
        statuses.append(state.status)

    assert platform.pushes == [40, 40, 40]  # the first push and max_corrections = 2 corrections
    assert state.status is SyncStatus.DRIFT_UNRESOLVED
    settled_at = statuses.index(SyncStatus.DRIFT_UNRESOLVED)
    assert set(statuses[settled_at:]) == {SyncStatus.DRIFT_UNRESOLVED}
    # The alarm state still reads the figure back every verify_seconds (15 min) after the last push (minute 4),
    # to clear itself when the platform matches; it never pushes again.
    assert platform.read_count == 3 + (179 - 4) // 15


def test_the_alarm_clears_by_itself_when_the_platform_matches_again():
    fixed = {"yes": False}
    platform = Platform(lambda figure, reads: figure if fixed["yes"] else figure + 5)
    state = listing()
    for minute in range(10):
        _, state, _ = run(state, 8, T0 + timedelta(minutes=minute), platform)
    assert state.status is SyncStatus.DRIFT_UNRESOLVED

    fixed["yes"] = True
    step, state, finding = run(state, 8, T0 + timedelta(minutes=30), platform)
    assert (step.action, finding, state.status) == (Action.VERIFY, Finding.RESOLVED, SyncStatus.IN_SYNC)
    assert len(platform.pushes) == 3


def test_a_real_stock_change_during_an_alarm_is_still_pushed_but_never_corrected():
    platform = Platform(lambda figure, reads: figure + 1)
    state = listing()
    for minute in range(10):
        _, state, _ = run(state, 8, T0 + timedelta(minutes=minute), platform)
    assert state.status is SyncStatus.DRIFT_UNRESOLVED and len(platform.pushes) == 3

    step, state, finding = run(state, 0, T0 + timedelta(minutes=11), platform)  # sold out: urgent
    assert (step.reason, finding) == (Reason.URGENT, Finding.STILL_UNRESOLVED)
    for minute in range(12, 40):
        run(state, 0, T0 + timedelta(minutes=minute), platform)
    assert platform.pushes == [8, 8, 8, 0]


def test_without_corrections_allowed_a_drift_is_unresolved_at_once():
    settings_none = SETTINGS.model_copy(update={"max_corrections": 0})
    _, state, finding = run(listing(), 5, T0, Platform(lambda f, r: f - 1), settings_none)

    assert (finding, state.status) == (Finding.UNRESOLVED, SyncStatus.DRIFT_UNRESOLVED)


# --- acknowledgement -----------------------------------------------------------------------------------------


def test_an_acknowledged_drift_is_left_alone_until_the_figure_changes():
    platform = Platform(lambda figure, reads: figure - 2)
    state = listing()
    for minute in range(10):
        _, state, _ = run(state, 30, T0 + timedelta(minutes=minute), platform)
    acknowledged = acknowledge(state, T0 + timedelta(minutes=10), "ops@brand")
    assert (acknowledged.status, acknowledged.acknowledged_by) == (SyncStatus.ACKNOWLEDGED, "ops@brand")

    step, state, finding = run(acknowledged, 30, T0 + timedelta(minutes=40), platform)
    assert (step.action, finding, state.status) == (Action.VERIFY, Finding.ACKNOWLEDGED_DRIFT, SyncStatus.ACKNOWLEDGED)

    step, state, finding = run(state, 10, T0 + timedelta(minutes=50), platform)  # a real change: a new episode
    assert (step.action, finding, state.status) == (Action.PUSH, Finding.DRIFT_FLAGGED, SyncStatus.DRIFT)
    assert state.corrections == 0 and state.acknowledged_at is None


def test_only_a_drifting_listing_can_be_acknowledged_and_by_someone():
    with pytest.raises(NothingToAcknowledge):
        acknowledge(synced(4), T0, "ops@brand")
    with pytest.raises(NothingToAcknowledge):
        acknowledge(listing(status=SyncStatus.DRIFT, pushed=4), T0, "  ")


# --- the plan ------------------------------------------------------------------------------------------------


def test_plan_sync_allocates_each_sku_over_the_shops_that_list_it():
    rules = AllocationRules(
        version="t",
        policy=AllocationPolicy.model_validate(
            {"safety_stock": 2, "channels": {"douyin": {"share_percent": 50}, "tmall": {"share_percent": 50}}}
        ),
        sync=SETTINGS,
    )
    dy_a = listing()
    tm_a = listing(channel="tmall", shop_id="2200000001", channel_sku_id="3000000002")
    dy_b = replace(synced(4), merchant_sku="VC-1")
    plan = plan_sync([dy_a, tm_a, dy_b], {"AC-1P": 22}, rules, T0 + timedelta(seconds=30))

    by_listing = {(s.listing.channel, s.listing.merchant_sku): (s.action, s.target) for s in plan.steps}
    assert by_listing == {
        ("douyin", "AC-1P"): (Action.PUSH, 10),
        ("tmall", "AC-1P"): (Action.PUSH, 10),
        ("douyin", "VC-1"): (Action.PUSH, 0),  # no stock known for VC-1: sold out, pushed at once
    }
    assert set(plan.by_channel()) == {"douyin", "tmall"} and plan.rules_label == "t#"


def test_plan_sync_needs_an_aware_time():
    with pytest.raises(ValueError):
        plan_sync([], {}, AllocationRules(version="t", policy=AllocationPolicy()), datetime(2026, 1, 1))


# --- no oscillation, whatever the platform answers --------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    answers=st.lists(st.integers(0, 100), min_size=1, max_size=50),
    targets=st.lists(st.integers(0, 60), min_size=1, max_size=120),
    max_corrections=st.integers(0, 4),
)
def test_a_platform_that_never_shows_the_pushed_figure_gets_at_most_one_push_per_change_plus_the_corrections(
    answers: list[int], targets: list[int], max_corrections: int
):
    s = SETTINGS.model_copy(update={"max_corrections": max_corrections})

    def shows(figure: int, reads: int) -> int:  # any figure, as long as it is wrong
        answer = answers[reads % len(answers)]
        return answer if answer != figure else figure + 1

    platform, state = Platform(shows), listing()
    for minute, target in enumerate(targets):
        _, state, _ = run(state, target, T0 + timedelta(minutes=minute), platform, s)

    changes = sum(1 for a, b in zip(targets, targets[1:], strict=False) if a != b)
    assert len(platform.pushes) <= 1 + max_corrections + changes
