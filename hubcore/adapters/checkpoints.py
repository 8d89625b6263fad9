"""Poll checkpoints in DynamoDB: where a poller stands in a platform's history, per channel, shop and stream.

One item per `{channel}#{shop_id}#{stream}`. Every save is conditioned on the revision that was read, and
writes the next revision, so when two poller invocations overlap only one can move a checkpoint: the other
gets `CheckpointConflict` and stops (its work so far is harmless, because ingestion is version-conditioned).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from hubcore.aws import client
from hubcore.errors import HubError
from hubcore.settings import settings
from schemas.timeutil import utc_now


class CheckpointConflict(HubError):
    """Another invocation moved the checkpoint since it was read; this one must stop."""

    code = "CHECKPOINT_CONFLICT"
    http_status = 409


@dataclass(frozen=True)
class WindowCheckpoint:
    """Everything modified before `watermark` is ingested; a window in progress resumes at `next_page`.

    `revision` is 0 for a checkpoint never saved; the store increments it on each successful save.
    """

    watermark: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    next_page: int | None = None  # the next page to read (pages are walked towards 1)
    revision: int = 0

    def __post_init__(self) -> None:
        for moment in (self.watermark, self.window_start, self.window_end):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("checkpoint times must be timezone-aware")
        in_progress = (self.window_start, self.window_end, self.next_page)
        if any(v is not None for v in in_progress) and any(v is None for v in in_progress):
            raise ValueError("a window in progress needs its start, end and next page")

    @property
    def in_window(self) -> bool:
        return self.window_start is not None


def checkpoint_key(channel: str, shop_id: str, stream: str) -> str:
    return f"{channel}#{shop_id}#{stream}"


def _text(moment: datetime | None) -> dict[str, Any]:
    return {"S": moment.isoformat()} if moment is not None else {"NULL": True}


def _moment(attr: dict[str, Any] | None) -> datetime | None:
    if not attr or "S" not in attr:
        return None
    return datetime.fromisoformat(attr["S"])


class DynamoCheckpointStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table_name or settings().checkpoints_table

    def load(self, key: str) -> WindowCheckpoint | None:
        response = client("dynamodb").get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True)
        item = response.get("Item")
        if not item:
            return None
        watermark = _moment(item.get("watermark"))
        if watermark is None:
            raise ValueError(f"checkpoint {key} has no watermark")
        next_page = item.get("next_page", {})
        return WindowCheckpoint(
            watermark=watermark,
            window_start=_moment(item.get("window_start")),
            window_end=_moment(item.get("window_end")),
            next_page=int(next_page["N"]) if "N" in next_page else None,
            revision=int(item["revision"]["N"]),
        )

    def save(self, key: str, checkpoint: WindowCheckpoint, *, now: datetime | None = None) -> WindowCheckpoint:
        """Write `checkpoint` if the stored revision is still `checkpoint.revision`; return the saved one."""
        saved = replace(checkpoint, revision=checkpoint.revision + 1)
        item = {
            "pk": {"S": key},
            "revision": {"N": str(saved.revision)},
            "watermark": _text(saved.watermark),
            "window_start": _text(saved.window_start),
            "window_end": _text(saved.window_end),
            "next_page": {"N": str(saved.next_page)} if saved.next_page is not None else {"NULL": True},
            "updated_at": {"S": (now or utc_now()).isoformat()},
        }
        if checkpoint.revision == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "revision = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(checkpoint.revision)}},
            }
        try:
            client("dynamodb").put_item(TableName=self._table, Item=item, **condition)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise CheckpointConflict(f"checkpoint {key} moved past revision {checkpoint.revision}") from exc
            raise
        return saved
