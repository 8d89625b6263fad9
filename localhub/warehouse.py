"""A simulated warehouse (WMS) for the local hub: it ships what the hub asks it to ship.

It listens to `FulfilmentRequested` on the bus through its own queue (a local-only subscription, like a
WMS integration would have) and confirms each shipment through the hub's public shipment API over HTTP,
after a short handling delay. Orders can be held back so a demo can cancel them while they wait.
"""

import json
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from hubcore.observability import logger

CARRIERS = ("SF", "ZTO", "YTO", "JD")


class SimulatedWarehouse:
    def __init__(
        self, sqs: Any, events: Any, bus_name: str, front_door_url: str, *, delay_seconds: float = 0.2
    ) -> None:
        self._sqs = sqs
        self._front_door_url = front_door_url
        self._delay = delay_seconds
        self._held: set[str] = set()
        self._hold_predicate: Callable[[str], bool] = lambda order_key: order_key in self._held
        self.shipped: dict[str, str] = {}  # order_key -> tracking number
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
        with self._lock:
            held = self._hold_predicate(data["order_key"])
        # A held order's request is consumed and never shipped; a refused confirmation stays queued.
        if held or self._ship(data):
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
        with self._lock:
            self.shipped[request["order_key"]] = tracking
        return True
