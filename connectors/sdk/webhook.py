"""Accepting one webhook delivery: verify, archive, parse, fetch, normalise, record, publish — then ack.

The platform is acknowledged only after every order in the delivery is durably recorded and its event is
on the bus; a failure anywhere before that gets an error reply, and the platform's retry is idempotent.
Nothing is written for a delivery refused before verification or parsing.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from connectors.sdk.contracts import WebhookConnector, WebhookReply, WebhookRequest
from connectors.sdk.errors import OrderInvalid, PayloadTooLarge
from connectors.sdk.ingest import Ingestor, IngestResult
from hubcore.errors import HubError
from schemas.order import RawPayloadRef


class RawArchive(Protocol):
    def put(self, channel: str, body: bytes, received_at: datetime, *, kind: str = "webhook") -> RawPayloadRef: ...


@dataclass(frozen=True)
class WebhookOutcome:
    reply: WebhookReply
    results: tuple[IngestResult, ...] = ()
    error: HubError | None = None


def process_webhook(
    connector: WebhookConnector,
    request: WebhookRequest,
    *,
    archive: RawArchive,
    ingestor: Ingestor,
    max_bytes: int,
) -> WebhookOutcome:
    try:
        if len(request.body) > max_bytes:
            raise PayloadTooLarge(f"body of {len(request.body)} bytes exceeds the {max_bytes}-byte limit")
        connector.verify(request)
        handshake = connector.handshake(request)
        if handshake is not None:
            return WebhookOutcome(reply=handshake)
        results = _accept(connector, request, archive=archive, ingestor=ingestor)
    except HubError as error:
        return WebhookOutcome(reply=connector.error_reply(error), error=error)
    return WebhookOutcome(reply=connector.success_reply(), results=tuple(results))


def _accept(
    connector: WebhookConnector,
    request: WebhookRequest,
    *,
    archive: RawArchive,
    ingestor: Ingestor,
) -> list[IngestResult]:
    notifications = connector.parse_notifications(request)
    # Archived only once it is authentic and well-formed: refused deliveries write nothing.
    delivery_ref = archive.put(connector.channel, request.body, request.received_at, kind="webhook")
    results: list[IngestResult] = []
    for notification in notifications:
        raw_order = connector.fetch_notified_order(notification)
        order_bytes = _canonical_bytes(raw_order)
        order_ref = archive.put(connector.channel, order_bytes, request.received_at, kind="order")
        try:
            order = connector.normalise(raw_order, shop_id=notification.shop_id, raw_ref=order_ref)
        except ValidationError as exc:
            raise OrderInvalid(
                f"order {notification.channel_order_id} failed validation ({exc.error_count()} errors: "
                f"{_first_errors(exc)}); delivery archived at s3://{delivery_ref.bucket}/{delivery_ref.key}"
            ) from exc
        results.append(ingestor.ingest(order))
    return results


def _canonical_bytes(raw: Mapping[str, object]) -> bytes:
    return json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _first_errors(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:3]]
    return "; ".join(parts)
