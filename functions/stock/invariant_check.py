"""Scheduled CheckStockLedger: reads the whole ledger and reports every invariant it breaks.

Reports go to the log (one error per violation, with SKU, node, rule, expected and actual) and to the
`LedgerViolations` metric; the function does not fail on violations (a retry would find the same ones).
"""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.stock.invariants import Violation, confirmed_violations
from hubcore.adapters.inventory import InventoryTable
from hubcore.observability import logger, metrics


def check(inventory: InventoryTable | None = None, *, pause_seconds: float = 0.25) -> list[Violation]:
    table = inventory or InventoryTable()
    violations = confirmed_violations(table.ledger, pause_seconds=pause_seconds)
    for violation in violations:
        logger.error("stock ledger invariant broken", **asdict(violation))
    metrics.add_metric(name="LedgerViolations", unit=MetricUnit.Count, value=len(violations))
    return violations


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    violations = check()
    return {"violations": [asdict(v) for v in violations]}
