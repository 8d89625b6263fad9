"""The orders table: one item per order (`META`) plus its history, keyed `ORDER#{order_key}`.

Platform updates are written with a version condition, so a late, older update never overwrites a newer
one and a repeated delivery changes nothing. `published_version` records which version has been put on
the bus; together they make publishing recoverable (see connectors.sdk.ingest).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from hubcore.aws import client
from hubcore.settings import settings
from schemas.order import Order
from schemas.timeutil import utc_now

META = "META"


def order_pk(order_key: str) -> str:
    return f"ORDER#{order_key}"


def history_item(order_key: str, kind: str, state: str, detail: str, at: datetime, tie: str) -> dict[str, Any]:
    """One entry of an order's status history; `tie` keeps entries of the same instant apart and idempotent."""
    return {
        "pk": {"S": order_pk(order_key)},
        "sk": {"S": f"HIST#{at.isoformat()}#{tie}"},
        "kind": {"S": kind},
        "state": {"S": state},
        "detail": {"S": detail},
        "at": {"S": at.isoformat()},
    }


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    version: int
    published_version: int
    hub_state: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class RecordResult:
    applied: bool
    previous: StoredOrder | None  # the item before the write (applied) or as found (not applied)


_DESERIALIZER = TypeDeserializer()


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def _stored(attrs: dict[str, Any]) -> StoredOrder:
    return StoredOrder(
        order=Order.model_validate_json(attrs["order"]),
        version=int(attrs["version"]),
        published_version=int(attrs.get("published_version", 0)),
        hub_state=str(attrs.get("hub_state", "RECEIVED")),
        attributes=attrs,
    )


class OrdersTable:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table_name or settings().orders_table

    def record_platform_order(self, order: Order, *, now: datetime | None = None) -> RecordResult:
        """Write the order if it is new or newer than what is stored, with a history entry, atomically."""
        now = now or utc_now()
        key = {"pk": {"S": order_pk(order.order_key)}, "sk": {"S": META}}
        update = {
            "TableName": self._table,
            "Key": key,
            "UpdateExpression": (
                "SET #order = :order, version = :v, channel = :channel, platform_status = :status, "
                "platform_updated_at = :updated, last_seen_at = :now, "
                "published_version = if_not_exists(published_version, :zero), "
                "hub_state = if_not_exists(hub_state, :received), first_seen_at = if_not_exists(first_seen_at, :now)"
            ),
            "ConditionExpression": "attribute_not_exists(pk) OR version < :v",
            "ExpressionAttributeNames": {"#order": "order"},
            "ExpressionAttributeValues": {
                ":order": {"S": order.model_dump_json()},
                ":v": {"N": str(order.version)},
                ":channel": {"S": order.channel},
                ":status": {"S": order.status.value},
                ":updated": {"S": order.updated_at.isoformat()},
                ":now": {"S": now.isoformat()},
                ":zero": {"N": "0"},
                ":received": {"S": "RECEIVED"},
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        detail = f"platform status {order.channel_status} (version {order.version})"
        history = {
            "TableName": self._table,
            "Item": history_item(
                order.order_key, "platform", order.status.value, detail, now, f"P{order.version:024d}"
            ),
        }
        previous = self.get(order.order_key)
        try:
            client("dynamodb").transact_write_items(TransactItems=[{"Update": update}, {"Put": history}])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                raise
            found = reasons[0].get("Item")
            return RecordResult(
                applied=False, previous=_stored(_deserialize(found)) if found else self.get(order.order_key)
            )
        return RecordResult(applied=True, previous=previous)

    def mark_published(self, order_key: str, version: int) -> None:
        try:
            client("dynamodb").update_item(
                TableName=self._table,
                Key={"pk": {"S": order_pk(order_key)}, "sk": {"S": META}},
                UpdateExpression="SET published_version = :v",
                ConditionExpression="attribute_exists(pk) AND published_version < :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def get(self, order_key: str) -> StoredOrder | None:
        response = client("dynamodb").get_item(
            TableName=self._table, Key={"pk": {"S": order_pk(order_key)}, "sk": {"S": META}}, ConsistentRead=True
        )
        item = response.get("Item")
        return _stored(_deserialize(item)) if item else None

    def history(self, order_key: str) -> list[dict[str, Any]]:
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :h)",
            ExpressionAttributeValues={":pk": {"S": order_pk(order_key)}, ":h": {"S": "HIST#"}},
            ConsistentRead=True,
        )
        return [_deserialize(item) for item in response.get("Items", [])]


# --- Workflow fields (functions/workflow, order_events, shipments): conditional moves and the fulfilment lookup ---

FULFILMENT_PREFIX = "FULFILMENT#"
LOOKUP = "LOOKUP"


def _attr(value: Any) -> dict[str, Any]:
    return {"S": value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)}


class WorkflowOrders(OrdersTable):
    """The orders table as the workflow sees it: guarded hub-state moves and workflow attributes.

    Every move is one transaction (META update + history entry), conditional on the order existing and
    on the guards given, so concurrent writers (the workflow and a cancellation) serialise on the item.
    """

    def move(
        self,
        order_key: str,
        state: str,
        detail: str,
        *,
        fields: dict[str, Any] | None = None,
        remove: tuple[str, ...] = (),
        only_from: tuple[str, ...] = (),
        not_from: tuple[str, ...] = (),
        if_absent: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Set `hub_state` (and fields) if the guards hold; False when a guard failed. Raises if no such order."""
        now = now or utc_now()
        names: dict[str, str] = {"#state": "hub_state"}
        values: dict[str, Any] = {":state": {"S": state}, ":now": {"S": now.isoformat()}}
        sets = ["#state = :state", "hub_state_at = :now"]
        for index, (name, value) in enumerate((fields or {}).items()):
            names[f"#f{index}"] = name
            values[f":f{index}"] = _attr(value)
            sets.append(f"#f{index} = :f{index}")
        expression = "SET " + ", ".join(sets)
        if remove:
            for index, name in enumerate(remove):
                names[f"#r{index}"] = name
            expression += " REMOVE " + ", ".join(f"#r{index}" for index in range(len(remove)))
        conditions = ["attribute_exists(pk)"]
        if only_from:
            conditions.append("#state IN (" + ", ".join(f":o{i}" for i in range(len(only_from))) + ")")
            values.update({f":o{i}": {"S": s} for i, s in enumerate(only_from)})
        if not_from:
            conditions.append("NOT (#state IN (" + ", ".join(f":n{i}" for i in range(len(not_from))) + "))")
            values.update({f":n{i}": {"S": s} for i, s in enumerate(not_from)})
        if if_absent:
            names["#absent"] = if_absent
            conditions.append("attribute_not_exists(#absent)")
        pk = order_pk(order_key)
        history = history_item(order_key, "hub", state, detail, now, f"H{state}")
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": pk}, "sk": {"S": META}},
                            "UpdateExpression": expression,
                            "ConditionExpression": " AND ".join(conditions),
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": values,
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": history}},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed" and reasons[0].get("Item"):
                return False
            raise
        return True

    def put_fulfilment_lookup(self, fulfilment_id: str, order_key: str) -> None:
        """Fulfilment id -> order key, for the warehouse callback. Idempotent."""
        client("dynamodb").put_item(
            TableName=self._table,
            Item={
                "pk": {"S": f"{FULFILMENT_PREFIX}{fulfilment_id}"},
                "sk": {"S": LOOKUP},
                "order_key": {"S": order_key},
            },
        )

    def order_key_for_fulfilment(self, fulfilment_id: str) -> str | None:
        response = client("dynamodb").get_item(
            TableName=self._table,
            Key={"pk": {"S": f"{FULFILMENT_PREFIX}{fulfilment_id}"}, "sk": {"S": LOOKUP}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return str(item["order_key"]["S"]) if item else None
