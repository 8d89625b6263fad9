"""Scheduled ExpireReservations: releases HELD reservations whose hold ran out (DynamoDB TTL only deletes).

Finds them in the ledger's expiry index (one Query per hour of the lookback) and releases each through the
same conditional transaction as a cancellation, so a hold extended or settled meanwhile is left alone.
"""

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from hubcore.adapters.inventory import DEFAULT_SWEEP_LOOKBACK_HOURS, InventoryTable, ReservationConflict
from hubcore.observability import logger, metrics
from schemas.timeutil import utc_now


def sweep(
    now: datetime | None = None,
    *,
    lookback_hours: int = DEFAULT_SWEEP_LOOKBACK_HOURS,
    inventory: InventoryTable | None = None,
) -> dict[str, int]:
    now = now or utc_now()
    table = inventory or InventoryTable()
    due = table.due_for_expiry(now, lookback_hours=lookback_hours)
    expired = failed = 0
    for order_key in due:
        try:
            expired += table.expire(order_key, now=now)
        except ReservationConflict:  # still due next run
            failed += 1
            logger.warning("expiring a reservation kept conflicting", order_key=order_key)
    metrics.add_metric(name="ExpiredHolds", unit=MetricUnit.Count, value=expired)
    if failed:
        metrics.add_metric(name="ExpiryFailures", unit=MetricUnit.Count, value=failed)
    if expired:
        logger.warning("reservations expired and released", expired=expired)
    return {"due": len(due), "expired": expired, "failed": failed}


def _lookback(event: dict[str, Any]) -> int:
    """A manual run may reach further back (`{"lookback_hours": 168}`) after the sweeper was down."""
    value = event.get("lookback_hours") if isinstance(event, dict) else None
    return value if isinstance(value, int) and 0 <= value <= 24 * 90 else DEFAULT_SWEEP_LOOKBACK_HOURS


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return sweep(lookback_hours=_lookback(event))
