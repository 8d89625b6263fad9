"""The risk ledger: each audited order's risk facts, filed under its hashed address, device and buyer keys.

Items live in the orders table (single-table design, next to `ORDER#…`):
`pk` = `RISK#ADDR#{sha256}` | `RISK#DEV#{sha256}` | `RISK#BUYER#{sha256}`, `sk` = `{UTC time, fixed width}#{order_key}`,
attributes `order_key`, `channel`, `buyer` (sha256), `at`, `skus` (JSON: merchant SKU → units) and the TTL
attribute `expiration` (epoch seconds), so facts expire on their own. Keys arrive already hashed and are
refused otherwise: no name, phone, address, buyer id or device id is ever stored in plaintext.

Recording is one conditional transaction per order, so a retried audit records once; a window query is one
`Query` per key over the sort-key range.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hubcore.aws import client
from hubcore.errors import HubError
from hubcore.settings import settings

RISK_PREFIX = "RISK#"
KEY_PREFIXES: dict[str, str] = {"address": "ADDR", "device": "DEV", "buyer": "BUYER"}
# The orders table's TTL attribute (the same name as the idempotency table's, infra_cdk/constructs/storage.py).
TTL_ATTRIBUTE = "expiration"
DEFAULT_RETENTION = timedelta(days=90)
# Past this many facts under one key in one window the key is plainly abusive; reading more costs without telling more.
MAX_FACTS_PER_KEY = 500

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so sort-key order is time order


class RiskLedgerUnavailable(HubError):
    code = "RISK_LEDGER_UNAVAILABLE"
    http_status = 503


@dataclass(frozen=True)
class RiskFact:
    """One order's risk facts; `buyer` is a sha256, SKUs are the brand's codes (not personal data)."""

    order_key: str
    channel: str
    buyer: str
    at: datetime
    skus: Mapping[str, int] = field(default_factory=dict)


def risk_pk(key: str, digest: str) -> str:
    if key not in KEY_PREFIXES:
        raise ValueError(f"unknown risk key {key!r}; expected one of {', '.join(KEY_PREFIXES)}")
    if not _SHA256.match(digest):
        raise ValueError(f"risk key {key} must be a sha256 hex digest, never the value itself")
    return f"{RISK_PREFIX}{KEY_PREFIXES[key]}#{digest}"


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: risk facts need timezone-aware times")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def _item(pk: str, fact: RiskFact, expires: datetime) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": f"{_stamp(fact.at)}#{fact.order_key}"},
        "order_key": {"S": fact.order_key},
        "channel": {"S": fact.channel},
        "buyer": {"S": fact.buyer},
        "at": {"S": _stamp(fact.at)},
        "skus": {"S": json.dumps(dict(fact.skus), sort_keys=True, ensure_ascii=False)},
        TTL_ATTRIBUTE: {"N": str(int(expires.timestamp()))},
    }


def _fact(item: Mapping[str, Any]) -> RiskFact:
    return RiskFact(
        order_key=item["order_key"]["S"],
        channel=item["channel"]["S"],
        buyer=item["buyer"]["S"],
        at=datetime.strptime(item["at"]["S"], _TIME_FORMAT).replace(tzinfo=UTC),
        skus={sku: int(units) for sku, units in json.loads(item["skus"]["S"]).items()},
    )


class RiskLedger:
    def __init__(self, table_name: str | None = None, *, retention: timedelta = DEFAULT_RETENTION) -> None:
        self._table = table_name or settings().orders_table
        self._retention = retention

    def record(self, fact: RiskFact, keys: Mapping[str, str | None]) -> bool:
        """File `fact` under every key given (None values skipped). False when it was already all recorded."""
        if not _SHA256.match(fact.buyer):
            raise ValueError("a risk fact's buyer must be a sha256 hex digest")
        expires = fact.at + self._retention
        pending = [_item(risk_pk(key, digest), fact, expires) for key, digest in keys.items() if digest]
        # Two rounds at most: a retry after a partial record (a key the order did not have before, e.g. a device
        # id added by an update) writes only the items not there yet.
        for _ in range(2):
            if not pending:
                break
            try:
                client("dynamodb").transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": item,
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        }
                        for item in pending
                    ]
                )
                return True
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise RiskLedgerUnavailable(f"risk facts not recorded: {exc}") from exc
                codes = [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]
                if len(codes) != len(pending) or not set(codes) <= {"ConditionalCheckFailed", "None"}:
                    raise RiskLedgerUnavailable(f"risk facts not recorded: {', '.join(codes) or exc}") from exc
                pending = [item for item, code in zip(pending, codes, strict=True) if code != "ConditionalCheckFailed"]
            except BotoCoreError as exc:
                raise RiskLedgerUnavailable(f"risk facts not recorded: {exc}") from exc
        return False

    def recent(
        self, keys: Mapping[str, str | None], at: datetime, windows: Mapping[str, timedelta]
    ) -> dict[str, list[RiskFact]]:
        """Facts filed under each key within its window either side of `at`, oldest first (keys without a
        window or without a value are left out)."""
        found: dict[str, list[RiskFact]] = {}
        for key, window in windows.items():
            digest = keys.get(key)
            if digest:
                found[key] = self._query(risk_pk(key, digest), at - window, at + window)
        return found

    def _query(self, pk: str, start: datetime, end: datetime) -> list[RiskFact]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :start AND :end",
            # '$' sorts right after '#', so every order of the end instant is included.
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":start": {"S": _stamp(start)},
                ":end": {"S": f"{_stamp(end)}$"},
            },
            "ConsistentRead": True,
        }
        facts: list[RiskFact] = []
        try:
            while len(facts) < MAX_FACTS_PER_KEY:
                response = client("dynamodb").query(**request, Limit=MAX_FACTS_PER_KEY - len(facts))
                facts.extend(_fact(item) for item in response.get("Items", []))
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as exc:
            raise RiskLedgerUnavailable(f"risk history not read: {exc}") from exc
        return facts
