"""A simulated warehouse (WMS) for the local hub: it ships what the hub asks it to ship.

It listens to `FulfilmentRequested` on the bus through its own queue (a local-only subscription, like a
WMS integration would have) and confirms each shipment through the hub's public shipment API over HTTP,
after a short handling delay. Orders can be held back so a demo can cancel them while they wait.

It ships per fulfilment id, once: a split order's parcels (different ids, different nodes) ship independently,
and a merged fulfilment named by several orders' requests ships once for all of them. A request that names
a merge group (`merge_group`, `open_until`) is held for consolidation until the merge window ends, at most
`merge_hold_seconds`, so the receiver's next order can still join it (0 ships at once).
"""

import json
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from hubcore.observability import logger

CARRIERS = ("SF", "ZTO", "YTO", "JD")


class SimulatedWarehouse:
    def __init__(
        self,
        sqs: Any,
        events: Any,
        bus_name: str,
        front_door_url: str,
        *,
        delay_seconds: float = 0.2,
        merge_hold_seconds: float = 3.0,
    ) -> None:
        self._sqs = sqs
        self._front_door_url = front_door_url
        self._delay = delay_seconds
        self._merge_hold = merge_hold_seconds
        self._held: set[str] = set()
        self._waiting: set[str] = set()  # held orders whose fulfilment request has arrived
        self._hold_predicate: Callable[[str], bool] = lambda order_key: order_key in self._held
        self.shipped: dict[str, str] = {}  # order_key -> tracking number (of its last parcel shipped)
        self.fulfilments: dict[str, str] = {}  # fulfilment id -> tracking number: each shipped once
        self._claimed: set[str] = set()  # fulfilment ids being shipped or shipped
        self._stop = threading.Event()
        self._lock = threading.Lock()
        queue_name = "omnihub-local-wms-fulfilment-requests"
        self._queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="omnihub-local-wms",
            EventBusName=bus_name,
            EventPattern=json.dumps({"detail-type": ["FulfilmentRequested"]}),
        )
        events.put_targets(Rule="omnihub-local-wms", EventBusName=bus_name, Targets=[{"Id": "wms", "Arn": queue_arn}])
        self._thread = threading.Thread(target=self._run, name="wms", daemon=True)
        self._pickers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="wms-picker")  # ships in parallel
        self._http = httpx.Client(base_url=front_door_url, timeout=30)

    def hold(self, order_key: str) -> None:
        with self._lock:
            self._held.add(order_key)

    def has_request(self, order_key: str) -> bool:
        """True once a held order's fulfilment request has arrived (its fulfilment is open at the hub)."""
        with self._lock:
            return order_key in self._waiting

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pickers.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            response = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in response.get("Messages", []):
                self._pickers.submit(self._handle, message)

    def _handle(self, message: dict[str, Any]) -> None:
        data = json.loads(message["Body"])["detail"]["data"]
        fulfilment_id = data["fulfilment_id"]
        with self._lock:
            held = self._hold_predicate(data["order_key"])
            if held:
                self._waiting.add(data["order_key"])
            duplicate = fulfilment_id in self._claimed  # another order's request for a merged fulfilment
            if not held and not duplicate:
                self._claimed.add(fulfilment_id)
        # A held order's request is consumed and never shipped; a refused confirmation stays queued.
        if held or duplicate:
            self._delete(message)
            return
        wait = self._consolidation_wait(data)
        if wait > 0:
            timer = threading.Timer(wait, self._ship_claimed, (message, data))
            timer.daemon = True
            timer.start()
        else:
            self._ship_claimed(message, data)

    def _consolidation_wait(self, request: dict[str, Any]) -> float:
        if not request.get("merge_group") or not request.get("open_until") or self._merge_hold <= 0:
            return 0.0
        until = datetime.fromisoformat(str(request["open_until"]))
        return max(0.0, min(self._merge_hold, (until - datetime.now(UTC)).total_seconds()))

    def _ship_claimed(self, message: dict[str, Any], request: dict[str, Any]) -> None:
        if self._stop.is_set():
            return
        if self._ship(request):
            self._delete(message)
        else:
            with self._lock:  # redelivered after the visibility timeout, and shipped then
                self._claimed.discard(request["fulfilment_id"])

    def _delete(self, message: dict[str, Any]) -> None:
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _ship(self, request: dict[str, Any]) -> bool:
        time.sleep(self._delay)
        fulfilment_id = request["fulfilment_id"]
        digest = zlib.crc32(fulfilment_id.encode())
        carrier = CARRIERS[digest % len(CARRIERS)]
        tracking = f"{carrier}{digest:012d}"
        body = {
            "carrier_code": carrier,
            "tracking_no": tracking,
            "shipped_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        }
        response = self._http.post(f"/fulfilments/{fulfilment_id}/shipment", json=body)
        if response.status_code >= 300:
            logger.warning("shipment confirmation refused", status=response.status_code, body=response.text[:200])
            return response.status_code < 500
        order_keys = response.json().get("order_keys") or [request["order_key"]]
        with self._lock:
            self.fulfilments[fulfilment_id] = tracking
            for order_key in order_keys:
                self.shipped[order_key] = tracking
        return True
