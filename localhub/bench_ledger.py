"""Stock ledger benchmark: reservations per second on one hot SKU, N threads, through the adapter against
the local hub's moto server (`EmbeddedAws(serve=True)`, HTTP, DynamoDB serialised by the hub's shims).

`run()` returns the figures (nothing is printed): per bucket count, orders/s answered and reserved/s, and
the stock after the storm — on_hand, reserved, oversold units (must be 0) and invariant violations.
Demand exceeds stock on purpose, so the last units are fought over.
"""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import InventoryTable, ReservationConflict, ReservationLine, ReserveOutcome
from hubcore.aws import reset_clients
from hubcore.settings import reset_settings
from localhub import moto_shims
from localhub.embedded_aws import EmbeddedAws

SKU, NODE = "BENCH-HOT", "WH-BENCH"
TABLE = "omnihub-bench-inventory"


def _create_table(aws: EmbeddedAws) -> None:
    aws.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _storm(inventory: InventoryTable, threads: int, orders_per_thread: int, run: str) -> dict[str, int]:
    counts = {"reserved": 0, "refused": 0, "conflicts": 0, "units": 0}
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(thread: int) -> None:
        start.wait()
        for n in range(orders_per_thread):
            while True:
                try:
                    outcome = inventory.reserve(f"{run}-{thread}-{n}", NODE, [ReservationLine(SKU, 1)]).outcome
                    break
                except ReservationConflict:  # transient: the workflow retries it
                    with lock:
                        counts["conflicts"] += 1
            with lock:
                counts["reserved" if outcome == ReserveOutcome.RESERVED else "refused"] += 1
                counts["units"] += 1 if outcome == ReserveOutcome.RESERVED else 0

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker, t) for t in range(threads)]:
            future.result()
    return counts


def _measure(
    inventory: InventoryTable, threads: int, orders_per_thread: int, on_hand: int, buckets: int
) -> dict[str, Any]:
    inventory.set_on_hand(SKU, NODE, 0)
    inventory.set_sharding(SKU, NODE, buckets)
    inventory.set_on_hand(SKU, NODE, on_hand)
    started = time.perf_counter()
    counts = _storm(inventory, threads, orders_per_thread, f"b{buckets}")
    seconds = time.perf_counter() - started
    level = inventory.level(SKU, NODE)
    assert level is not None
    slots, lines = inventory.ledger()
    mine = [line for line in lines if line.sku == SKU and line.order_key.startswith(f"b{buckets}-")]
    return {
        "buckets": buckets,
        "orders": threads * orders_per_thread,
        "seconds": round(seconds, 3),
        "orders_per_second": round(threads * orders_per_thread / seconds, 1),
        "reservations_per_second": round(counts["reserved"] / seconds, 1),
        "conflict_retries": counts["conflicts"],
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "refused": counts["refused"],
        "oversold": max(0, counts["units"] - on_hand) + sum(-s.available for s in slots if s.available < 0),
        "held_lines": len(mine),
        "ledger_violations": len(check_ledger(slots, lines)),
    }


def run(
    threads: int = 8, orders_per_thread: int = 40, on_hand: int = 250, buckets: tuple[int, ...] = (1, 4)
) -> dict[str, Any]:
    """Measure each bucket count in turn on a fresh moto server; the process environment is restored after."""
    saved = dict(os.environ)
    aws = EmbeddedAws(serve=True)
    shims_were_installed = moto_shims.installed()
    try:
        aws.start()
        if not shims_were_installed:
            moto_shims.install()
        _create_table(aws)
        inventory = InventoryTable(TABLE)
        inventory.put_node(NODE, name="Bench DC", province="浙江省")
        inventory.release("release-all")  # warm the client and the connection pool before timing
        results = []
        for count in buckets:
            # the previous run's holds stay: release them so each run starts from the same free stock
            for line in inventory.ledger()[1]:
                inventory.release(line.order_key)
            results.append(_measure(inventory, threads, orders_per_thread, on_hand, count))
        return {"threads": threads, "endpoint": "moto server (HTTP)", "runs": results}
    finally:
        if not shims_were_installed:
            moto_shims.uninstall()
        aws.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_clients()
        reset_settings()
