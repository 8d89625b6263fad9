"""`omnihub stock check`: the stock ledger's invariant check, against the local hub or an AWS account.

Reads the inventory table named by `--table` (default: `OMNIHUB_INVENTORY_TABLE`, or the local hub's table
when `--endpoint` is given), prints one line per violation (SKU, node, slot, rule, expected, actual) and
exits 1 when there is any, 0 when the ledger is sound.
"""

import argparse
import json
import os
from dataclasses import asdict

from localhub.embedded_aws import LOCAL_PREFIX

LOCAL_TABLE = f"{LOCAL_PREFIX}-InventoryTable"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnihub stock check", description="check the stock ledger's invariants")
    parser.add_argument("--endpoint", help="AWS endpoint, e.g. the moto port `omnihub local` prints")
    parser.add_argument("--table", help="inventory table (default: OMNIHUB_INVENTORY_TABLE or the local hub's)")
    parser.add_argument("--json", action="store_true", help="print the violations as JSON")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds before re-reading suspects")
    return parser


def check_invariants_main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL"] = args.endpoint
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            os.environ.setdefault(name, value)  # moto accepts any credentials; boto3 needs some
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    table = args.table or os.environ.get("OMNIHUB_INVENTORY_TABLE") or (LOCAL_TABLE if args.endpoint else None)

    from functions.stock.invariant_check import check
    from hubcore.adapters.inventory import InventoryTable
    from hubcore.aws import reset_clients

    reset_clients()
    inventory = InventoryTable(table)
    violations = check(inventory, pause_seconds=args.pause)
    if args.json:
        print(json.dumps([asdict(v) for v in violations], indent=2))
    elif violations:
        print(f"{len(violations)} stock ledger violation(s):")
        for violation in violations:
            print(f"  {violation.describe()}")
    else:
        slots, lines = inventory.ledger()
        print(f"stock ledger sound: {len(slots)} stock items, {len(lines)} reservation lines")
    return 1 if violations else 0
