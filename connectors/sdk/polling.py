"""Pulling orders from a platform: modified-time windows walked page by page, and message queues.

Window poll
    The window is at most the connector's `max_window` long, starts `window_overlap` before the
    checkpoint's watermark and ends no later than `safety_lag` before now (a platform's index lags its
    writes). Pages are walked from the last to the first when the connector asks for it: lists are sorted
    by modified time descending, and an order modified while we page leaves the window, which shifts the
    orders behind it towards page 1 — pages not read yet — so walking backwards never skips one.
    The checkpoint (window bounds and next page) is saved after every page: a crash resumes at the page
    that was being read, so there is no gap; what is read twice is harmless because ingestion is
    conditioned on the order's version. The watermark moves to the window's end only once page 1 is done.

Message poll
    consume → fetch the full order → archive → normalise → ingest → confirm. A message is confirmed only
    after its order was ingested; anything unconfirmed is delivered again by the platform.

Pure logic over ports; the poll handler wires the AWS adapters in.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from connectors.sdk.contracts import OrderSummary, PollingConnector, QueuedMessage
from connectors.sdk.errors import OrderInvalid, PlatformRejected, PlatformUnavailable
from connectors.sdk.ingest import Ingestor, IngestResult
from connectors.sdk.webhook import RawArchive
from hubcore.adapters.checkpoints import CheckpointConflict, WindowCheckpoint, checkpoint_key
from hubcore.observability import logger

ORDERS_STREAM = "orders"


class CheckpointStore(Protocol):
    def load(self, key: str) -> WindowCheckpoint | None: ...

    def save(self, key: str, checkpoint: WindowCheckpoint) -> WindowCheckpoint:
        """Save if the stored revision still equals `checkpoint.revision`; raise CheckpointConflict otherwise."""
        ...


@dataclass
class WindowPollResult:
    shop_id: str
    windows_completed: int = 0
    pages_read: int = 0
    results: list[IngestResult] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # channel order ids archived but not ingested
    conflict: bool = False  # another invocation owns the checkpoint; this one stopped
    caught_up: bool = False  # the watermark reached the safety horizon
    checkpoint: WindowCheckpoint | None = None


@dataclass
class MessagePollResult:
    shop_id: str
    consumed: int = 0
    confirmed: int = 0
    skipped: int = 0  # not about an order of a configured shop: confirmed without ingesting
    failed: int = 0  # left unconfirmed, so the platform delivers them again
    results: list[IngestResult] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def _always() -> bool:
    return True


def canonical_bytes(raw: Mapping[str, Any]) -> bytes:
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _ingest_summary(
    connector: PollingConnector,
    shop_id: str,
    summary: OrderSummary,
    *,
    ingestor: Ingestor,
    archive: RawArchive,
    now: datetime,
) -> IngestResult | None:
    """Fetch, archive, normalise and ingest one order; None when it fails validation (it stays archived)."""
    raw = connector.fetch_order(shop_id, summary)
    ref = archive.put(connector.channel, canonical_bytes(raw), now, kind="order")
    try:
        order = connector.normalise(raw, shop_id=shop_id, raw_ref=ref)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"]) for err in exc.errors()})[:5]
        logger.warning(
            "polled order failed validation; archived",
            channel=connector.channel,
            shop_id=shop_id,
            channel_order_id=summary.channel_order_id,
            invalid_fields=fields,
            raw_key=ref.key,
        )
        return None
    except OrderInvalid as exc:
        logger.warning(
            "polled order invalid; archived",
            channel=connector.channel,
            shop_id=shop_id,
            channel_order_id=summary.channel_order_id,
            reason=exc.message,
            raw_key=ref.key,
        )
        return None
    return ingestor.ingest(order)


def _next_window(
    connector: PollingConnector, checkpoint: WindowCheckpoint, horizon: datetime
) -> tuple[datetime, datetime] | None:
    start = checkpoint.watermark - connector.window_overlap
    end = min(start + connector.max_window, horizon)
    if end <= checkpoint.watermark:
        return None
    return start, end


def run_window_poll(
    connector: PollingConnector,
    shop_id: str,
    *,
    checkpoints: CheckpointStore,
    ingestor: Ingestor,
    archive: RawArchive,
    now: datetime,
    stream: str = ORDERS_STREAM,
    max_windows: int = 48,
    keep_going: Callable[[], bool] = _always,
) -> WindowPollResult:
    """Catch one shop up to `now - safety_lag`, window by window, page by page, saving after every page.

    Stops early (checkpoint saved, nothing lost) after `max_windows` windows or when `keep_going()` turns
    false; on a checkpoint conflict it stops and reports it. Platform errors propagate after the last
    saved page, so the next run resumes exactly there.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    key = checkpoint_key(connector.channel, shop_id, stream)
    horizon = now - connector.safety_lag
    result = WindowPollResult(shop_id=shop_id)
    checkpoint = checkpoints.load(key) or WindowCheckpoint(watermark=horizon - connector.initial_lookback)
    try:
        while result.windows_completed < max_windows and keep_going():
            if not checkpoint.in_window:
                window = _next_window(connector, checkpoint, horizon)
                if window is None:
                    result.caught_up = True
                    break
                start, end = window
                pages = connector.count_pages(shop_id, start, end)
                if pages == 0:
                    checkpoint = checkpoints.save(key, WindowCheckpoint(watermark=end, revision=checkpoint.revision))
                    result.windows_completed += 1
                    continue
                first = pages if connector.page_backwards else 1
                checkpoint = checkpoints.save(
                    key,
                    WindowCheckpoint(checkpoint.watermark, start, end, first, revision=checkpoint.revision),
                )
            checkpoint = _walk_window(
                connector, shop_id, checkpoint, key, checkpoints, ingestor, archive, now, result, keep_going
            )
            if checkpoint.in_window:  # stopped by keep_going mid-window; resumes next run
                break
            result.windows_completed += 1
    except CheckpointConflict:
        logger.warning(
            "poll checkpoint moved by another invocation; stopping", channel=connector.channel, shop_id=shop_id
        )
        result.conflict = True
    result.checkpoint = checkpoint
    return result


def _walk_window(
    connector: PollingConnector,
    shop_id: str,
    checkpoint: WindowCheckpoint,
    key: str,
    checkpoints: CheckpointStore,
    ingestor: Ingestor,
    archive: RawArchive,
    now: datetime,
    result: WindowPollResult,
    keep_going: Callable[[], bool],
) -> WindowCheckpoint:
    assert checkpoint.window_start is not None and checkpoint.window_end is not None
    assert checkpoint.next_page is not None
    start, end, page_no = checkpoint.window_start, checkpoint.window_end, checkpoint.next_page
    while True:
        page = connector.list_changed(shop_id, start, end, page_no)
        result.pages_read += 1
        for summary in page.summaries:
            outcome = _ingest_summary(connector, shop_id, summary, ingestor=ingestor, archive=archive, now=now)
            if outcome is None:
                result.invalid.append(summary.channel_order_id)
            else:
                result.results.append(outcome)
        if connector.page_backwards:
            page_no -= 1
            done = page_no < 1
        else:
            page_no += 1
            more = page.has_next if page.total_results is None else page_no <= page.page_count
            done = not page.summaries or not more
        if done:
            return checkpoints.save(key, WindowCheckpoint(watermark=end, revision=checkpoint.revision))
        checkpoint = checkpoints.save(
            key, WindowCheckpoint(checkpoint.watermark, start, end, page_no, revision=checkpoint.revision)
        )
        if not keep_going():
            return checkpoint


def run_message_poll(
    connector: PollingConnector,
    shop_id: str,
    *,
    ingestor: Ingestor,
    archive: RawArchive,
    now: datetime,
    max_batches: int = 10,
    keep_going: Callable[[], bool] = _always,
) -> MessagePollResult:
    """Drain the connector's message queue: ingest each message's order, then confirm what was ingested.

    Messages of a shop without configured credentials, or not about an order, are confirmed and dropped
    (the window poll of each configured shop remains the safety net). A message whose order could not be
    fetched stays unconfirmed and comes back; the batch loop stops then, to not spin on it.
    """
    result = MessagePollResult(shop_id=shop_id)
    known_shops = set(connector.credentials.shop_tokens)
    for _ in range(max_batches):
        if not keep_going():
            break
        batch = list(connector.consume_messages(shop_id))
        if not batch:
            break
        result.consumed += len(batch)
        if not _handle_batch(connector, batch, known_shops, ingestor, archive, now, result):
            break
    return result


def _handle_batch(
    connector: PollingConnector,
    batch: Sequence[QueuedMessage],
    known_shops: set[str],
    ingestor: Ingestor,
    archive: RawArchive,
    now: datetime,
    result: MessagePollResult,
) -> bool:
    """Handle one batch; confirm what is done even if something unexpected is raised. False = stop polling."""
    done: list[str] = []
    handled: set[tuple[str, str]] = set()
    healthy = True
    try:
        for message in batch:
            if message.channel_order_id is None or message.shop_id not in known_shops:
                result.skipped += 1
                done.append(message.message_id)
                continue
            order_ref = (message.shop_id, message.channel_order_id)
            if order_ref in handled:  # several messages about one order in a batch: one fetch is enough
                done.append(message.message_id)
                continue
            summary = OrderSummary(channel_order_id=message.channel_order_id)
            try:
                outcome = _ingest_summary(
                    connector, message.shop_id, summary, ingestor=ingestor, archive=archive, now=now
                )
            except PlatformUnavailable:
                result.failed += len(batch) - len(done)
                healthy = False
                break
            except PlatformRejected as exc:
                logger.warning(
                    "order of a queued message could not be fetched; left unconfirmed",
                    channel=connector.channel,
                    topic=message.topic,
                    channel_order_id=message.channel_order_id,
                    platform_code=exc.platform_code,
                )
                result.failed += 1
                healthy = False
                continue
            handled.add(order_ref)
            if outcome is None:
                result.invalid.append(message.channel_order_id)
            else:
                result.results.append(outcome)
            done.append(message.message_id)
    finally:
        if done:
            connector.confirm_messages(done)
            result.confirmed += len(done)
    return healthy
