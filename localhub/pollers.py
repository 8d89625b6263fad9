"""What the Lambda service does around functions, emulated on one machine.

- `QueuePoller`: Lambda's SQS event-source poller — long-polls the queue, invokes the function with a
  batch, deletes only what succeeded (honouring `batchItemFailures`), and leaves the rest to reappear
  after the visibility timeout, so the queue's redrive policy moves poison messages to the DLQ.
  (moto's own mapping invokes synchronously inside SendMessage and never redelivers, which hides bugs.)
- `ScheduleRunner`: EventBridge Scheduler — invokes a function at a fixed rate.
"""

import json
import threading
from collections.abc import Callable
from typing import Any

from hubcore.observability import logger

Invoke = Callable[[str, dict[str, Any]], Any]


class QueuePoller:
    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, function_name: str, batch_size: int, invoke: Invoke):
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self.function_name = function_name
        self._batch_size = min(batch_size, 10)
        self._invoke = invoke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"esm-{function_name}", daemon=True)
        self.idle = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:  # keep polling, as the Lambda service does
                logger.exception("event source poller failed", function=self.function_name)

    def poll_once(self, wait_seconds: int = 0) -> int:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            self.idle.set()
            return 0
        self.idle.clear()
        event = {"Records": [self._record(m) for m in messages]}
        try:
            result = self._invoke(self.function_name, event)
        except Exception:
            logger.exception("function failed; batch left for redelivery", function=self.function_name)
            return len(messages)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
        return len(messages)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": "us-east-1",
        }


class ScheduleRunner:
    def __init__(self, function_name: str, every_seconds: float, invoke: Invoke, schedule_arn: str):
        self.function_name = function_name
        self._every = every_seconds
        self._invoke = invoke
        self.schedule_arn = schedule_arn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{function_name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def fire(self) -> Any:
        event = {"source": "aws.scheduler", "resources": [self.schedule_arn], "detail": json.dumps({})}
        return self._invoke(self.function_name, event)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.fire()
            except Exception:
                logger.exception("scheduled invocation failed", function=self.function_name)
