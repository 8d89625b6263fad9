"""Channel listings and their stock-sync state, in the inventory table (`OMNIHUB_INVENTORY_TABLE`).

Items (keys `pk` / `sk`; their own prefixes, so the ledger's reads and its invariant check never see them):
- shop directory  `SYNC` / `SHOP#{channel}#{shop_id}`: channel, shop_id — which channel shops have listings
  (a Query, never a Scan, finds every listing)
- listing         `SYNC#{channel}#{shop_id}` / `SKU#{merchant_sku}`: the platform's ids for the SKU
  (channel_sku_id, channel_product_id) and the sync state: the figure last pushed and when, the pending
  figure a debounce holds back, the figure last read back, the drift episode (status, since, corrections),
  an operator's acknowledgement, and `revision`.

Every save of the sync state is conditioned on the revision that was read, so two overlapping runs cannot
both move a listing: the second gets `SyncStateConflict` (its push was a full overwrite, so harmless).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from hubcore.aws import client
from hubcore.errors import HubError
from hubcore.settings import settings

DIRECTORY_PK = "SYNC"
_DESERIALIZER = TypeDeserializer()


class SyncStateConflict(HubError):
    """Another run saved this listing since it was read; this run leaves it alone."""

    code = "SYNC_STATE_CONFLICT"
    http_status = 409


class ListingNotFound(HubError):
    code = "LISTING_NOT_FOUND"
    http_status = 404


class SyncStatus(StrEnum):
    NEW = "NEW"  # never pushed
    IN_SYNC = "IN_SYNC"  # the platform showed what was pushed
    DRIFT = "DRIFT"  # the platform showed something else; corrections are being tried
    DRIFT_UNRESOLVED = "DRIFT_UNRESOLVED"  # corrections ran out: alarm until it matches or a person acknowledges
    ACKNOWLEDGED = "ACKNOWLEDGED"  # a person owns the drift: no corrections until the figure changes


@dataclass(frozen=True)
class ListingState:
    channel: str
    shop_id: str
    merchant_sku: str
    channel_sku_id: str  # the platform's ids (connectors.sdk.contracts.StockItem)
    channel_product_id: str | None = None
    status: SyncStatus = SyncStatus.NEW
    pushed: int | None = None  # the figure last pushed successfully
    pushed_at: datetime | None = None
    pending: int | None = None  # a changed figure the debounce holds back
    pending_since: datetime | None = None
    platform: int | None = None  # the figure last read back
    read_at: datetime | None = None
    drift_since: datetime | None = None
    corrections: int = 0  # pushes made during the current drift episode
    last_correction_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    revision: int = 0


def listing_pk(channel: str, shop_id: str) -> str:
    return f"SYNC#{channel}#{shop_id}"


def listing_sk(merchant_sku: str) -> str:
    return f"SKU#{merchant_sku}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _state(item: dict[str, Any]) -> ListingState:
    plain = {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}
    return ListingState(
        channel=str(plain["channel"]),
        shop_id=str(plain["shop_id"]),
        merchant_sku=str(plain["merchant_sku"]),
        channel_sku_id=str(plain["channel_sku_id"]),
        channel_product_id=str(plain["channel_product_id"]) if plain.get("channel_product_id") else None,
        status=SyncStatus(str(plain.get("status", SyncStatus.NEW))),
        pushed=_int(plain.get("pushed")),
        pushed_at=_time(plain.get("pushed_at")),
        pending=_int(plain.get("pending")),
        pending_since=_time(plain.get("pending_since")),
        platform=_int(plain.get("platform")),
        read_at=_time(plain.get("read_at")),
        drift_since=_time(plain.get("drift_since")),
        corrections=int(plain.get("corrections", 0)),
        last_correction_at=_time(plain.get("last_correction_at")),
        acknowledged_at=_time(plain.get("acknowledged_at")),
        acknowledged_by=str(plain["acknowledged_by"]) if plain.get("acknowledged_by") else None,
        revision=int(plain.get("revision", 0)),
    )


def _item(state: ListingState, revision: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _s(listing_pk(state.channel, state.shop_id)),
        "sk": _s(listing_sk(state.merchant_sku)),
        "channel": _s(state.channel),
        "shop_id": _s(state.shop_id),
        "merchant_sku": _s(state.merchant_sku),
        "channel_sku_id": _s(state.channel_sku_id),
        "status": _s(state.status),
        "corrections": _n(state.corrections),
        "revision": _n(revision),
    }
    if state.channel_product_id:
        item["channel_product_id"] = _s(state.channel_product_id)
    for name in ("pushed", "pending", "platform"):
        if (number := getattr(state, name)) is not None:
            item[name] = _n(number)
    for name in ("pushed_at", "pending_since", "read_at", "drift_since", "last_correction_at", "acknowledged_at"):
        if (moment := getattr(state, name)) is not None:
            item[name] = _s(moment.isoformat())
    if state.acknowledged_by:
        item["acknowledged_by"] = _s(state.acknowledged_by)
    return item


class ChannelStockStore:
    def __init__(self, table_name: str | None = None) -> None:
        self._table = table_name or settings().inventory_table

    def register_listing(
        self, channel: str, shop_id: str, merchant_sku: str, channel_sku_id: str, channel_product_id: str | None
    ) -> None:
        """Record (or update) the platform's ids of a merchant SKU in a channel shop; the sync state of an
        existing listing is kept. Idempotent."""
        if not channel or not shop_id or not merchant_sku or not channel_sku_id:
            raise ValueError("a listing needs a channel, a shop, a merchant SKU and the platform's SKU id")
        names = {"#status": "status"}
        values: dict[str, Any] = {
            ":channel": _s(channel),
            ":shop": _s(shop_id),
            ":sku": _s(merchant_sku),
            ":sku_id": _s(channel_sku_id),
            ":new": _s(SyncStatus.NEW),
            ":zero": _n(0),
        }
        assignments = [
            "channel = :channel",
            "shop_id = :shop",
            "merchant_sku = :sku",
            "channel_sku_id = :sku_id",
            "#status = if_not_exists(#status, :new)",
            "corrections = if_not_exists(corrections, :zero)",
            "revision = if_not_exists(revision, :zero)",
        ]
        expression = "SET " + ", ".join(assignments)
        if channel_product_id:
            values[":product"] = _s(channel_product_id)
            expression += ", channel_product_id = :product"
        else:
            expression += " REMOVE channel_product_id"
        dynamodb = client("dynamodb")
        dynamodb.put_item(
            TableName=self._table,
            Item={
                "pk": _s(DIRECTORY_PK),
                "sk": _s(f"SHOP#{channel}#{shop_id}"),
                "channel": _s(channel),
                "shop_id": _s(shop_id),
            },
        )
        dynamodb.update_item(
            TableName=self._table,
            Key={"pk": _s(listing_pk(channel, shop_id)), "sk": _s(listing_sk(merchant_sku))},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def shops(self) -> list[tuple[str, str]]:
        """Every (channel, shop_id) with at least one listing."""
        return [(str(i["channel"]["S"]), str(i["shop_id"]["S"])) for i in self._query(DIRECTORY_PK, "SHOP#")]

    def listings(self, channel: str, shop_id: str) -> list[ListingState]:
        return [_state(item) for item in self._query(listing_pk(channel, shop_id), "SKU#")]

    def all_listings(self) -> list[ListingState]:
        return [state for channel, shop_id in self.shops() for state in self.listings(channel, shop_id)]

    def get(self, channel: str, shop_id: str, merchant_sku: str) -> ListingState | None:
        response = client("dynamodb").get_item(
            TableName=self._table,
            Key={"pk": _s(listing_pk(channel, shop_id)), "sk": _s(listing_sk(merchant_sku))},
            ConsistentRead=True,
        )
        return _state(response["Item"]) if "Item" in response else None

    def save(self, state: ListingState) -> ListingState:
        """Write the sync state if nobody saved it since `state.revision` was read; returns it with the new
        revision. Raises SyncStateConflict otherwise (nothing written)."""
        saved = replace(state, revision=state.revision + 1)
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=_item(saved, saved.revision),
                ConditionExpression="revision = :seen",
                ExpressionAttributeValues={":seen": _n(state.revision)},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise SyncStateConflict(
                    f"listing {state.channel}/{state.shop_id}/{state.merchant_sku} moved since revision "
                    f"{state.revision}"
                ) from exc
            raise
        return saved

    def _query(self, pk: str, prefix: str) -> Iterable[dict[str, Any]]:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": _s(pk), ":prefix": _s(prefix)},
            "ConsistentRead": True,
        }
        while True:
            response = client("dynamodb").query(**args)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
