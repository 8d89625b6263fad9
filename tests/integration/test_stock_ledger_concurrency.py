"""Many threads reserving the last units of one SKU through moto's HTTP server never oversell.

moto runs as a real server (ThreadedMotoServer, one request thread per call, as the local hub's
`EmbeddedAws(serve=True)`), with the local hub's shims that make its DynamoDB transactions safe under
threads. Each worker is an independent caller going through boto3 over HTTP, as concurrent Lambdas would.
"""

import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from moto.server import ThreadedMotoServer

from functions.stock.invariants import check_ledger
from hubcore.adapters.inventory import InventoryTable, ReservationConflict, ReservationLine, ReserveOutcome
from hubcore.aws import client, reset_clients
from hubcore.settings import reset_settings
from localhub import moto_shims
from localhub.embedded_aws import free_port
from tests.workflows.harness import HUB_ENV, INVENTORY_TABLE, NODES

pytestmark = pytest.mark.slow

THREADS = 16
ORDERS_PER_THREAD = 12


@pytest.fixture
def served_inventory(monkeypatch: pytest.MonkeyPatch) -> Iterator[InventoryTable]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in HUB_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    reset_settings()
    reset_clients()
    moto_shims.install()
    try:
        client("dynamodb").create_table(
            TableName=INVENTORY_TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        inventory = InventoryTable()
        inventory.seed(NODES[:1], [])
        yield inventory
    finally:
        moto_shims.uninstall()
        httpx.post(f"http://127.0.0.1:{port}/moto-api/reset", timeout=5)
        server.stop()
        reset_clients()
        reset_settings()


def reserve_retrying(inventory: InventoryTable, order_key: str, quantity: int) -> ReserveOutcome:
    """What the workflow does with a transient conflict: try again."""
    for _ in range(20):
        try:
            return inventory.reserve(order_key, "WH-HZ", [ReservationLine("HOT", quantity)]).outcome
        except ReservationConflict:
            continue
    raise AssertionError(f"{order_key} never got an answer")


def storm(inventory: InventoryTable, quantities: list[list[int]]) -> dict[str, tuple[int, ReserveOutcome]]:
    """Every thread reserves its orders as fast as it can, all starting together."""
    start = threading.Barrier(len(quantities))
    outcomes: dict[str, tuple[int, ReserveOutcome]] = {}
    lock = threading.Lock()

    def worker(thread: int) -> None:
        start.wait()
        for n, quantity in enumerate(quantities[thread]):
            key = f"t{thread}-o{n}"
            outcome = reserve_retrying(inventory, key, quantity)
            with lock:
                outcomes[key] = (quantity, outcome)

    with ThreadPoolExecutor(max_workers=len(quantities)) as pool:
        for future in [pool.submit(worker, t) for t in range(len(quantities))]:
            future.result()
    return outcomes


def assert_not_oversold(inventory: InventoryTable, outcomes: dict[str, tuple[int, ReserveOutcome]], on_hand: int):
    reserved_units = sum(q for q, outcome in outcomes.values() if outcome == ReserveOutcome.RESERVED)
    level = inventory.level("HOT", "WH-HZ")
    assert level is not None
    assert level.on_hand == on_hand
    assert level.reserved == reserved_units <= on_hand
    assert all(slot.available >= 0 and slot.reserved <= slot.on_hand for slot in inventory.slots("HOT"))
    assert check_ledger(*inventory.ledger()) == []
    refused = [q for q, outcome in outcomes.values() if outcome == ReserveOutcome.INSUFFICIENT]
    # stock only went down, so every refused order was refused rightly: what is left is less than it wanted
    assert all(level.available < quantity for quantity in refused)
    return reserved_units


@pytest.mark.parametrize("buckets", [1, 4], ids=["unsharded", "sharded-4"])
def test_the_last_units_of_a_hot_sku_are_never_oversold(served_inventory, buckets):
    on_hand = 100
    served_inventory.set_on_hand("HOT", "WH-HZ", on_hand)
    if buckets > 1:
        served_inventory.set_sharding("HOT", "WH-HZ", buckets)
    demand = THREADS * ORDERS_PER_THREAD  # 192 single units against 100

    outcomes = storm(served_inventory, [[1] * ORDERS_PER_THREAD for _ in range(THREADS)])

    assert assert_not_oversold(served_inventory, outcomes, on_hand) == min(demand, on_hand)
    assert [o for _, o in outcomes.values()].count(ReserveOutcome.RESERVED) == on_hand


def test_mixed_quantities_on_a_sharded_sku_never_oversell(served_inventory):
    on_hand = 90
    served_inventory.set_on_hand("HOT", "WH-HZ", on_hand)
    served_inventory.set_sharding("HOT", "WH-HZ", 3)
    rng = random.Random(4)

    outcomes = storm(served_inventory, [[rng.randint(1, 4) for _ in range(8)] for _ in range(THREADS)])

    reserved = assert_not_oversold(served_inventory, outcomes, on_hand)
    assert on_hand - reserved < 4  # filled until no remaining order fitted
