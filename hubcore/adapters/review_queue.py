"""The queue of orders held for a person's review, as items in the orders table.

`REVIEWS` / `{held_at}#{order_key}`: one item per hold, so `GET /reviews` is one Query in hold order rather
than a Scan of every order. The order item stays the truth (hub_state HELD + the task token); an entry whose
order has moved on (decided, cancelled, expired) is dropped when it is read, so no path has to remember to
delete it. Reviews are a trickle next to orders, so one partition is enough.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hubcore.aws import client
from hubcore.settings import settings

QUEUE_PK = "REVIEWS"


@dataclass(frozen=True)
class ReviewEntry:
    order_key: str
    held_at: str
    expires_at: str
    channel: str
    score: int
    rules: tuple[str, ...]

    @property
    def sort_key(self) -> str:
        return f"{self.held_at}#{self.order_key}"


class ReviewQueue:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table_name or settings().orders_table

    def add(self, entry: ReviewEntry) -> None:
        """Idempotent: a retried hold writes the same item."""
        client("dynamodb").put_item(
            TableName=self._table,
            Item={
                "pk": {"S": QUEUE_PK},
                "sk": {"S": entry.sort_key},
                "order_key": {"S": entry.order_key},
                "held_at": {"S": entry.held_at},
                "expires_at": {"S": entry.expires_at},
                "channel": {"S": entry.channel},
                "score": {"N": str(entry.score)},
                "rules": {"L": [{"S": rule} for rule in entry.rules]},
            },
        )

    def entries(self, limit: int = 100) -> list[ReviewEntry]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": QUEUE_PK}},
            Limit=limit,
        )
        return [_entry(item) for item in response.get("Items", [])]

    def drop(self, entry: ReviewEntry) -> None:
        client("dynamodb").delete_item(TableName=self._table, Key={"pk": {"S": QUEUE_PK}, "sk": {"S": entry.sort_key}})


def _entry(item: dict[str, Any]) -> ReviewEntry:
    return ReviewEntry(
        order_key=item["order_key"]["S"],
        held_at=item["held_at"]["S"],
        expires_at=item["expires_at"]["S"],
        channel=item["channel"]["S"],
        score=int(item["score"]["N"]),
        rules=tuple(rule["S"] for rule in item.get("rules", {}).get("L", [])),
    )


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
