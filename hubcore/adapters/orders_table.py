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
        if previous is not None and previous.version >= order.version:
            # A duplicate delivery or an overlapping poll window: versions only grow, so the condition below
            # would refuse it anyway, after a cancelled transaction that still costs write capacity.
            return RecordResult(applied=False, previous=previous)
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


# --- Fulfilments (one per parcel; several orders when merged) and each order's parcel shipments ---

FULFILMENT_OPEN = "OPEN"  # requested, not shipped: another order of the same receiver may still join it
FULFILMENT_SHIPPED = "SHIPPED"
FULFILMENT_CANCELLED = "CANCELLED"  # every order left it before it shipped
MERGE_PREFIX = "MERGEGROUP#"
PARCEL_PREFIX = "PARCEL#"


@dataclass(frozen=True)
class Fulfilment:
    fulfilment_id: str
    order_key: str  # the order that opened it
    order_keys: tuple[str, ...]  # every order shipping in it, the opener first
    node_id: str | None
    status: str
    merge_group: str | None
    opened_at: str | None
    shipment: dict[str, Any] | None
    merges: dict[str, str]  # order key -> why it joined


def _fulfilment_key(fulfilment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{FULFILMENT_PREFIX}{fulfilment_id}"}, "sk": {"S": LOOKUP}}


def _merge_index_key(merge_group: str, node_id: str, fulfilment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{MERGE_PREFIX}{merge_group}"}, "sk": {"S": f"NODE#{node_id}#{fulfilment_id}"}}


def _fulfilment(fulfilment_id: str, attrs: dict[str, Any]) -> Fulfilment:
    opener = str(attrs["order_key"])
    members = sorted(str(k) for k in attrs.get("order_keys", set()) if k != opener)
    # Items written before merges existed hold only `order_key` (and no status); an emptied set is removed.
    in_set = "status" not in attrs or opener in attrs.get("order_keys", set())
    shipment = attrs.get("shipment")
    return Fulfilment(
        fulfilment_id=fulfilment_id,
        order_key=opener,
        order_keys=((opener,) if in_set else ()) + tuple(members),
        node_id=str(attrs["node_id"]) if attrs.get("node_id") else None,
        status=str(attrs.get("status", FULFILMENT_OPEN)),
        merge_group=str(attrs["merge_group"]) if attrs.get("merge_group") else None,
        opened_at=str(attrs["opened_at"]) if attrs.get("opened_at") else None,
        shipment=json.loads(shipment) if isinstance(shipment, str) else None,
        merges={str(k): str(v) for k, v in (attrs.get("merges") or {}).items()},
    )


def _condition_failed(exc: ClientError) -> bool:
    code = exc.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons", [])
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


class FulfilmentStore(WorkflowOrders):
    """Fulfilment items (`FULFILMENT#{id}` / `LOOKUP`), the merge index (`MERGEGROUP#{group}` /
    `NODE#{node}#{id}`: open fulfilments a receiver's next order may join) and per-order parcel shipments
    (`ORDER#{key}` / `PARCEL#{id}`).

    Joining, leaving and shipping are conditional on the fulfilment being OPEN, so they serialise on the
    fulfilment item: an order can never join a fulfilment that already shipped.
    """

    def fulfilment(self, fulfilment_id: str) -> Fulfilment | None:
        response = client("dynamodb").get_item(
            TableName=self._table, Key=_fulfilment_key(fulfilment_id), ConsistentRead=True
        )
        item = response.get("Item")
        return _fulfilment(fulfilment_id, _deserialize(item)) if item else None

    def open_fulfilment(
        self,
        fulfilment_id: str,
        order_key: str,
        node_id: str,
        *,
        merge_group: str | None = None,
        now: datetime | None = None,
    ) -> Fulfilment:
        """Create the fulfilment for this order (and its merge-index entry); a retry returns the existing one."""
        stamp = (now or utc_now()).isoformat()
        item: dict[str, Any] = {
            **_fulfilment_key(fulfilment_id),
            "order_key": {"S": order_key},
            "order_keys": {"SS": [order_key]},
            "node_id": {"S": node_id},
            "status": {"S": FULFILMENT_OPEN},
            "opened_at": {"S": stamp},
            "merges": {"M": {}},
        }
        actions: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
        if merge_group:
            item["merge_group"] = {"S": merge_group}
            index = {
                **_merge_index_key(merge_group, node_id, fulfilment_id),
                "fulfilment_id": {"S": fulfilment_id},
                "opened_at": {"S": stamp},
            }
            actions.append({"Put": {"TableName": self._table, "Item": index}})
        try:
            client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if not _condition_failed(exc):
                raise
        found = self.fulfilment(fulfilment_id)
        if found is None:  # pragma: no cover - the put either succeeded or found the item
            raise RuntimeError(f"fulfilment {fulfilment_id} vanished")
        return found

    def open_in_group(self, merge_group: str, node_id: str) -> list[str]:
        """Fulfilment ids of the group at the node still listed as open (oldest first; re-check each)."""
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :node)",
            ExpressionAttributeValues={
                ":pk": {"S": f"{MERGE_PREFIX}{merge_group}"},
                ":node": {"S": f"NODE#{node_id}#"},
            },
            ConsistentRead=True,
        )
        items = sorted((_deserialize(i) for i in response.get("Items", [])), key=lambda i: str(i["opened_at"]))
        return [str(item["fulfilment_id"]) for item in items]

    def join_fulfilment(self, fulfilment_id: str, order_key: str, *, node_id: str, merge_group: str, why: str) -> bool:
        """Add the order to an OPEN fulfilment of the same group and node; False if it shipped or closed."""
        try:
            client("dynamodb").update_item(
                TableName=self._table,
                Key=_fulfilment_key(fulfilment_id),
                UpdateExpression="ADD order_keys :k SET merges.#k = :why",
                ConditionExpression="#s = :open AND node_id = :node AND merge_group = :group",
                ExpressionAttributeNames={"#s": "status", "#k": order_key},
                ExpressionAttributeValues={
                    ":k": {"SS": [order_key]},
                    ":open": {"S": FULFILMENT_OPEN},
                    ":node": {"S": node_id},
                    ":group": {"S": merge_group},
                    ":why": {"S": why},
                },
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def leave_fulfilment(self, fulfilment_id: str, order_key: str) -> bool:
        """Take a cancelled order out of an OPEN fulfilment; the last one out closes it. False if it had shipped."""
        dynamodb = client("dynamodb")
        try:
            dynamodb.update_item(
                TableName=self._table,
                Key=_fulfilment_key(fulfilment_id),
                UpdateExpression="DELETE order_keys :k",
                ConditionExpression="#s = :open AND contains(order_keys, :key)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":k": {"SS": [order_key]},
                    ":key": {"S": order_key},
                    ":open": {"S": FULFILMENT_OPEN},
                },
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        found = self.fulfilment(fulfilment_id)
        if found is not None and not found.order_keys:
            try:
                dynamodb.update_item(
                    TableName=self._table,
                    Key=_fulfilment_key(fulfilment_id),
                    UpdateExpression="SET #s = :closed",
                    ConditionExpression="#s = :open AND attribute_not_exists(order_keys)",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":closed": {"S": FULFILMENT_CANCELLED}, ":open": {"S": FULFILMENT_OPEN}},
                )
                self._drop_from_index(found)
            except ClientError as exc:
                if not _condition_failed(exc):
                    raise
        return True

    def ship_fulfilment(self, fulfilment: Fulfilment, shipment: dict[str, Any], *, now: datetime | None = None) -> bool:
        """OPEN -> SHIPPED with the shipment; from then on nobody joins or leaves. False if it was not OPEN."""
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _fulfilment_key(fulfilment.fulfilment_id),
                    "UpdateExpression": "SET #s = :shipped, shipment = :shipment, shipped_recorded_at = :now",
                    "ConditionExpression": "attribute_exists(pk) AND (#s = :open OR attribute_not_exists(#s))",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {
                        ":shipped": {"S": FULFILMENT_SHIPPED},
                        ":open": {"S": FULFILMENT_OPEN},
                        ":shipment": _attr(shipment),
                        ":now": {"S": (now or utc_now()).isoformat()},
                    },
                }
            }
        ]
        if fulfilment.merge_group and fulfilment.node_id:
            key = _merge_index_key(fulfilment.merge_group, fulfilment.node_id, fulfilment.fulfilment_id)
            actions.append({"Delete": {"TableName": self._table, "Key": key}})
        try:
            client("dynamodb").transact_write_items(TransactItems=actions)
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def _drop_from_index(self, fulfilment: Fulfilment) -> None:
        if fulfilment.merge_group and fulfilment.node_id:
            key = _merge_index_key(fulfilment.merge_group, fulfilment.node_id, fulfilment.fulfilment_id)
            client("dynamodb").delete_item(TableName=self._table, Key=key)

    # --- each order's view: which of its parcels shipped, and which were written back ---

    def set_fields(self, order_key: str, fields: dict[str, Any], *, only_from: tuple[str, ...] = ()) -> bool:
        """Set workflow attributes without a state move (and without history); False if the guard failed."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":f{i}": _attr(value) for i, value in enumerate(fields.values())}
        condition = "attribute_exists(pk)"
        if only_from:
            names["#state"] = "hub_state"
            condition += " AND #state IN (" + ", ".join(f":o{i}" for i in range(len(only_from))) + ")"
            values.update({f":o{i}": {"S": s} for i, s in enumerate(only_from)})
        try:
            client("dynamodb").update_item(
                TableName=self._table,
                Key={"pk": {"S": order_pk(order_key)}, "sk": {"S": META}},
                UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def note(self, order_key: str, state: str, detail: str, *, tie: str, now: datetime | None = None) -> None:
        """A history entry without a state move (a merge, a parcel shipped); `tie` makes a retry idempotent."""
        item = history_item(order_key, "hub", state, detail, now or utc_now(), tie)
        client("dynamodb").put_item(TableName=self._table, Item=item)

    def record_parcel(self, order_key: str, fulfilment_id: str, shipment: dict[str, Any], detail: str) -> bool:
        """Record that one of the order's parcels shipped, with a history entry, once. False if already recorded."""
        now = utc_now()
        parcel = {
            "pk": {"S": order_pk(order_key)},
            "sk": {"S": f"{PARCEL_PREFIX}{fulfilment_id}"},
            "fulfilment_id": {"S": fulfilment_id},
            "shipment": _attr(shipment),
            "recorded_at": {"S": now.isoformat()},
        }
        history = history_item(order_key, "hub", "PARCEL_SHIPPED", detail, now, f"S{fulfilment_id}")
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": parcel,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": history}},
                ]
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def parcel_shipments(self, order_key: str) -> dict[str, dict[str, Any]]:
        """Fulfilment id -> {shipment, written_back_at?} for every parcel of the order recorded as shipped."""
        response = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": order_pk(order_key)}, ":p": {"S": PARCEL_PREFIX}},
            ConsistentRead=True,
        )
        found: dict[str, dict[str, Any]] = {}
        for item in response.get("Items", []):
            plain = _deserialize(item)
            entry: dict[str, Any] = {"shipment": json.loads(str(plain["shipment"]))}
            if plain.get("written_back_at"):
                entry["written_back_at"] = str(plain["written_back_at"])
            found[str(plain["fulfilment_id"])] = entry
        return found

    def mark_written_back(self, order_key: str, fulfilment_id: str, *, now: datetime | None = None) -> None:
        client("dynamodb").update_item(
            TableName=self._table,
            Key={"pk": {"S": order_pk(order_key)}, "sk": {"S": f"{PARCEL_PREFIX}{fulfilment_id}"}},
            UpdateExpression="SET written_back_at = if_not_exists(written_back_at, :now)",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":now": {"S": (now or utc_now()).isoformat()}},
        )
