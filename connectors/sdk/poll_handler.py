"""The Lambda entry point an EventBridge Scheduler invokes for a polling connector (`make_poll_handler`).

For every shop in the channel's credentials: drain the message queue (if the channel has one), then catch
the window poll up. One shop's platform trouble is logged and counted and does not stop the others; the
next scheduled run resumes from the saved checkpoints.
"""

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectors.sdk.contracts import PollingConnector
from connectors.sdk.ingest import Ingestor, IngestResult
from connectors.sdk.polling import run_message_poll, run_window_poll
from connectors.sdk.runtime import ChannelNotConfigured, connector_class, load_connector
from hubcore.adapters.checkpoints import DynamoCheckpointStore
from hubcore.adapters.event_bus import EventBridgePublisher
from hubcore.adapters.orders_table import OrdersTable
from hubcore.adapters.raw_archive import S3RawArchive
from hubcore.errors import HubError
from hubcore.observability import logger, metrics
from schemas.timeutil import utc_now

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

POLL_SAFETY_LAG_ENV = "OMNIHUB_POLL_SAFETY_LAG_SECONDS"
POLL_WINDOW_OVERLAP_ENV = "OMNIHUB_POLL_WINDOW_OVERLAP_SECONDS"

# Stop starting new pages when less than this is left of the invocation (a page is a few API calls).
RESERVE_MILLIS = 20_000


def _remaining(context: LambdaContext | None) -> Callable[[], bool]:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(getter):
        return lambda: True

    def keep_going() -> bool:
        remaining = getter()
        return not isinstance(remaining, int | float) or remaining > RESERVE_MILLIS

    return keep_going


def _count(outcomes: list[IngestResult], into: dict[str, int]) -> None:
    for outcome in outcomes:
        into[outcome.outcome.value] = into.get(outcome.outcome.value, 0) + 1


def make_poll_handler(channel: str, *, clock: Callable[[], datetime] = utc_now) -> LambdaHandler:
    """Build the scheduled poller of `channel`. `clock` exists for tests that drive a simulator's time."""
    connector_class(channel)  # loaded at init: see `connector_class`

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            connector = load_connector(channel)
        except ChannelNotConfigured as error:
            # Not an outage: nothing to poll until someone puts the keys in. Said loudly, retried by nobody.
            logger.error("channel not configured; nothing polled", channel=channel, reason=error.message)
            metrics.add_metric(name="ChannelNotConfigured", unit=MetricUnit.Count, value=1)
            return {"channel": channel, "skipped": error.code}
        if not isinstance(connector, PollingConnector):
            raise TypeError(f"{channel} is not a polling connector")
        # An operator's overrides of the platform's safety lag and window overlap. Both cover a platform index
        # that lags its writes; the local hub's simulators are consistent at once and fire seconds apart.
        lag, overlap = os.environ.get(POLL_SAFETY_LAG_ENV), os.environ.get(POLL_WINDOW_OVERLAP_ENV)
        if lag:
            connector.safety_lag = timedelta(seconds=float(lag))  # type: ignore[misc]
        if overlap:
            connector.window_overlap = timedelta(seconds=float(overlap))  # type: ignore[misc]
        metrics.add_dimension(name="channel", value=channel)
        ingestor = Ingestor(OrdersTable(), EventBridgePublisher())
        archive = S3RawArchive()
        checkpoints = DynamoCheckpointStore()
        keep_going = _remaining(context)
        outcomes: dict[str, int] = {}
        summary: dict[str, Any] = {"channel": channel, "shops": {}, "outcomes": outcomes, "errors": 0}

        def failed(shop: dict[str, Any], stage: str, error: HubError) -> None:
            # Platform trouble or a publish failure: nothing is lost, the next scheduled run resumes.
            logger.warning(
                "poll failed; resumes next run", shop_id=shop_id, stage=stage, code=error.code, reason=error.message
            )
            metrics.add_metric(name="PollFailed", unit=MetricUnit.Count, value=1)
            shop["error"] = error.code
            summary["errors"] += 1

        for shop_id in sorted(connector.credentials.shop_tokens):
            now = clock()
            shop: dict[str, Any] = {}
            summary["shops"][shop_id] = shop
            if connector.supports_messages:
                try:
                    messages = run_message_poll(
                        connector, shop_id, ingestor=ingestor, archive=archive, now=now, keep_going=keep_going
                    )
                except HubError as error:  # the window poll below still runs: it is the safety net
                    failed(shop, "messages", error)
                else:
                    _count(messages.results, outcomes)
                    shop["messages"] = {
                        "consumed": messages.consumed,
                        "confirmed": messages.confirmed,
                        "failed": messages.failed,
                        "invalid": len(messages.invalid),
                    }
                    metrics.add_metric(name="MessagesConfirmed", unit=MetricUnit.Count, value=messages.confirmed)
            try:
                window = run_window_poll(
                    connector,
                    shop_id,
                    checkpoints=checkpoints,
                    ingestor=ingestor,
                    archive=archive,
                    now=now,
                    keep_going=keep_going,
                )
            except HubError as error:
                failed(shop, "windows", error)
                continue
            _count(window.results, outcomes)
            shop["windows"] = {
                "completed": window.windows_completed,
                "pages": window.pages_read,
                "invalid": len(window.invalid),
                "conflict": window.conflict,
                "caught_up": window.caught_up,
            }
            if window.conflict:
                metrics.add_metric(name="PollCheckpointConflict", unit=MetricUnit.Count, value=1)
            if window.invalid:
                metrics.add_metric(name="OrdersInvalid", unit=MetricUnit.Count, value=len(window.invalid))
        for name, value in outcomes.items():
            metrics.add_metric(name=f"Orders{name.title()}", unit=MetricUnit.Count, value=value)
        logger.info("poll finished", summary=summary)
        return summary

    return lambda_handler
