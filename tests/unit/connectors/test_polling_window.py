"""The window poll runner: bounded windows, backwards paging, a checkpoint per page, resumable crashes."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from connectors.sdk.errors import PlatformUnavailable
from connectors.sdk.ingest import Ingestor, IngestOutcome
from connectors.sdk.polling import WindowPollResult, run_window_poll
from hubcore.adapters.checkpoints import WindowCheckpoint, checkpoint_key
from tests.unit.connectors.test_polling_fakes import (
    T0,
    FakeArchive,
    FakeCheckpoints,
    FakeConnector,
    FakeOrderStore,
    FakePlatform,
    FakePublisher,
)

KEY = checkpoint_key("demo", "shop1", "orders")


def make_env(page_size: int = 3) -> SimpleNamespace:
    platform = FakePlatform(page_size=page_size)
    store, publisher = FakeOrderStore(), FakePublisher()
    return SimpleNamespace(
        platform=platform,
        connector=FakeConnector(platform),
        checkpoints=FakeCheckpoints(),
        store=store,
        publisher=publisher,
        archive=FakeArchive(),
        ingestor=Ingestor(store, publisher),
    )


def poll(env: SimpleNamespace, now: datetime, **kwargs: object) -> WindowPollResult:
    return run_window_poll(
        env.connector,
        "shop1",
        checkpoints=env.checkpoints,
        ingestor=env.ingestor,
        archive=env.archive,
        now=now,
        **kwargs,  # type: ignore[arg-type]
    )


def start_at(env: SimpleNamespace, watermark: datetime) -> None:
    env.checkpoints.items[KEY] = WindowCheckpoint(watermark=watermark, revision=1)


def walked_pages(env: SimpleNamespace) -> list[int]:
    """Pages of the list calls, without the first call of each window (it only counts the pages)."""
    pages: list[int] = []
    previous: tuple[datetime, datetime] | None = None
    for start, end, page in env.platform.list_calls:
        if (start, end) != previous:
            previous = (start, end)
            if page == 1 and env.platform.in_window(start, end):
                continue  # the count call of a new window
        pages.append(page)
    return pages


def test_windows_are_bounded_overlapping_and_end_a_safety_lag_before_now() -> None:
    # Given orders spread over the two hours before now and no checkpoint yet
    env = make_env()
    for minute in range(0, 118, 7):
        env.platform.add(f"o{minute}", T0 - timedelta(minutes=120) + timedelta(minutes=minute, seconds=13))

    # When the poller runs
    result = poll(env, T0)

    # Then every window spans at most 30 minutes and ends no later than now minus the safety lag
    windows = sorted({(start, end) for start, end, _ in env.platform.list_calls})
    assert windows and all(end - start <= timedelta(minutes=30) for start, end in windows)
    assert all(end <= T0 - timedelta(minutes=1) for _, end in windows)
    # And each window starts one overlap before the previous one ended, so there is no gap
    for (_, previous_end), (start, _) in zip(windows, windows[1:], strict=False):
        assert start == previous_end - timedelta(minutes=1)
    assert windows[-1][1] == T0 - timedelta(minutes=1)
    # And every order was ingested once, and the checkpoint rests at the horizon
    assert len(env.store.items) == len(env.platform.orders)
    assert len(env.publisher.events) == len(env.platform.orders)
    assert result.caught_up and not result.conflict
    assert env.checkpoints.items[KEY].watermark == T0 - timedelta(minutes=1)
    assert not env.checkpoints.items[KEY].in_window


def test_pages_are_walked_from_the_last_to_the_first() -> None:
    # Given eight orders in one window, three per page
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))

    # When the poller runs
    poll(env, T0)

    # Then after counting the pages it read page 3, then 2, then 1
    assert walked_pages(env) == [3, 2, 1]
    # And the checkpoint was saved after every page, moving to the window end only after page 1
    saves = env.checkpoints.saves
    assert [s.next_page for s in saves] == [3, 2, 1, None]
    assert all(s.watermark == T0 - timedelta(minutes=20) for s in saves[:-1])
    assert saves[-1].watermark == T0 - timedelta(minutes=1)


def test_a_crash_mid_window_resumes_at_the_same_page_without_gap_or_duplicate() -> None:
    # Given eight orders in one window and a platform that fails when page 2 is first requested
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))
    failures = {"left": 1}

    def crash_on_page_2(page: int, _: int) -> None:
        if page == 2 and failures["left"]:
            failures["left"] -= 1
            raise PlatformUnavailable("HTTP 503 storm")

    env.platform.on_list = crash_on_page_2

    # When the poller runs and crashes
    with pytest.raises(PlatformUnavailable):
        poll(env, T0)

    # Then the checkpoint holds the window and the page that was being read
    saved = env.checkpoints.items[KEY]
    assert saved.in_window and saved.next_page == 2
    assert saved.watermark == T0 - timedelta(minutes=20)
    assert len(env.store.items) == 2  # page 3 held the two oldest orders

    # When it runs again
    env.platform.list_calls.clear()
    result = poll(env, T0)

    # Then it resumed at page 2 (no new count, no page 3 again), then page 1
    assert [page for _, _, page in env.platform.list_calls] == [2, 1]
    # And every order is stored once, with exactly one OrderReceived each
    assert sorted(env.store.items) == sorted(f"demo:shop1:o{i}" for i in range(8))
    received = [e.metadata.correlation_id for e in env.publisher.events if e.detail_type == "OrderReceived"]
    assert sorted(received) == sorted(env.store.items)
    assert result.caught_up and env.checkpoints.items[KEY].watermark == T0 - timedelta(minutes=1)


def test_a_crash_while_fetching_an_order_resumes_at_that_page() -> None:
    # Given a fetch that fails for one order on page 2
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))
    env.platform.fail_fetch.add("o3")

    # When the poller runs, fails, the platform recovers and the poller runs again
    with pytest.raises(PlatformUnavailable):
        poll(env, T0)
    assert env.checkpoints.items[KEY].next_page == 2
    env.platform.fail_fetch.clear()
    result = poll(env, T0)

    # Then all eight are stored; what was read twice was recognised as a duplicate, not published again
    assert len(env.store.items) == 8
    assert len(env.publisher.events) == 8
    assert IngestOutcome.DUPLICATE in {r.outcome for r in result.results}


def test_an_order_modified_while_paging_does_not_hide_others() -> None:
    # Given eight orders in a window, and one on page 1 modified (out of the window) while page 3 is read
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))

    def modify_newest_but_one(page: int, call: int) -> None:
        if page == 2 and env.platform.orders["o6"].modified < T0 - timedelta(minutes=5):
            env.platform.orders["o6"].modified = T0 - timedelta(seconds=30)  # beyond this window's end

    env.platform.on_list = modify_newest_but_one

    # When the poller runs now and again two minutes later
    poll(env, T0)
    first_run = set(env.store.items)
    poll(env, T0 + timedelta(minutes=2))

    # Then the first run saw every order still in the window, and the moved one arrived in a later window
    assert first_run == {f"demo:shop1:o{i}" for i in range(8) if i != 6}
    assert set(env.store.items) == {f"demo:shop1:o{i}" for i in range(8)}


def test_rerunning_changes_nothing() -> None:
    # Given a completed poll
    env = make_env()
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(4):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=10) + timedelta(seconds=i))
    poll(env, T0)
    events, checkpoint = list(env.publisher.events), env.checkpoints.items[KEY]

    # When it runs again at the same moment
    env.platform.list_calls.clear()
    result = poll(env, T0)

    # Then it has nothing to do: no list call, no event, checkpoint untouched
    assert result.caught_up and env.platform.list_calls == []
    assert env.publisher.events == events and env.checkpoints.items[KEY] == checkpoint

    # When it runs later, re-reading the overlap
    result = poll(env, T0 + timedelta(minutes=3))

    # Then what it re-read is recognised as duplicate and nothing is published
    assert env.publisher.events == events
    assert all(r.outcome is IngestOutcome.DUPLICATE for r in result.results)


def test_an_empty_window_moves_the_watermark() -> None:
    # Given no orders at all
    env = make_env()
    start_at(env, T0 - timedelta(minutes=45))

    # When the poller runs
    result = poll(env, T0)

    # Then both windows were counted, found empty, and the watermark reached the horizon
    assert result.windows_completed == 2 and result.pages_read == 0
    assert env.checkpoints.items[KEY].watermark == T0 - timedelta(minutes=1)


def test_an_invalid_order_is_archived_and_skipped_without_blocking_the_window() -> None:
    # Given three orders of which one fails the canonical model
    env = make_env()
    start_at(env, T0 - timedelta(minutes=20))
    env.platform.add("good1", T0 - timedelta(minutes=10))
    env.platform.add("bad", T0 - timedelta(minutes=9), valid=False)
    env.platform.add("good2", T0 - timedelta(minutes=8))

    # When the poller runs
    result = poll(env, T0)

    # Then the two good ones are ingested, the bad one reported and its raw payload archived
    assert sorted(env.store.items) == ["demo:shop1:good1", "demo:shop1:good2"]
    assert result.invalid == ["bad"]
    assert any(b'"id":"bad"' in body for body in env.archive.objects.values())
    assert result.caught_up


def test_each_ingested_order_references_its_archived_raw_payload() -> None:
    # Given one order
    env = make_env()
    start_at(env, T0 - timedelta(minutes=20))
    env.platform.add("o1", T0 - timedelta(minutes=10))

    # When it is polled
    poll(env, T0)

    # Then the stored order points at the archived bytes
    ref = env.store.items["demo:shop1:o1"].order.raw_ref
    assert ref is not None and ref.key in env.archive.objects and "/order/" in ref.key


def test_an_overlapping_invocation_that_moved_the_checkpoint_stops_this_one() -> None:
    # Given six orders in a window and a second invocation that runs completely while the first reads page 2
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(6):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))
    other: dict[str, WindowPollResult] = {}

    def second_invocation(page: int, call: int) -> None:
        if page == 2 and not other:
            other["result"] = WindowPollResult(shop_id="running")  # marks it started: the nested run won't recurse
            other["result"] = poll(env, T0)

    env.platform.on_list = second_invocation

    # When the first invocation runs
    first = poll(env, T0)

    # Then the second one completed the window, and the first stopped on its next save without moving it
    assert other["result"].caught_up and not other["result"].conflict
    assert first.conflict and not first.caught_up
    assert env.checkpoints.items[KEY].watermark == T0 - timedelta(minutes=1)
    assert not env.checkpoints.items[KEY].in_window
    # And every order is stored once with one OrderReceived each
    assert len(env.store.items) == 6
    assert sorted(e.metadata.correlation_id for e in env.publisher.events) == sorted(env.store.items)


def test_stopping_for_time_keeps_the_page_for_the_next_run() -> None:
    # Given a window of three pages and an invocation that runs out of time after one page
    env = make_env(page_size=3)
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))
    asked: list[bool] = []

    def keep_going() -> bool:  # asked before the window, then after each page
        asked.append(True)
        return len(asked) <= 1

    # When it runs, then runs again with time to spare
    result = poll(env, T0, keep_going=keep_going)
    assert not result.caught_up and env.checkpoints.items[KEY].next_page == 2
    poll(env, T0)

    # Then everything arrived, once
    assert len(env.store.items) == 8 and len(env.publisher.events) == 8


def test_a_connector_may_page_forwards() -> None:
    # Given a platform whose lists are stable while paging, and eight orders in one window
    env = make_env(page_size=3)
    env.connector.page_backwards = False
    start_at(env, T0 - timedelta(minutes=20))
    for i in range(8):
        env.platform.add(f"o{i}", T0 - timedelta(minutes=15) + timedelta(seconds=i))

    # When the poller runs
    poll(env, T0)

    # Then after counting, pages 1, 2, 3 were read and everything arrived
    assert [page for _, _, page in env.platform.list_calls] == [1, 1, 2, 3]
    assert len(env.store.items) == 8 and env.checkpoints.items[KEY].watermark == T0 - timedelta(minutes=1)


def test_now_must_be_timezone_aware() -> None:
    env = make_env()
    with pytest.raises(ValueError):
        poll(env, T0.replace(tzinfo=None))
