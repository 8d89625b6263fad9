"""Deployment settings read from CDK context (`cdk.json`, `-c key=value` or `App(context=...)`).

Values given on the command line arrive as strings, so every reader accepts both the typed value and its
string form.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs import Construct

from functions.catalog import STATE_MACHINE_FILE

REPO_ROOT = Path(__file__).resolve().parent.parent

PLACEHOLDER_LAYER = "omnihub:placeholder-layer"
DELETION_PROTECTION = "omnihub:deletion-protection"
LOG_RETENTION_DAYS = "omnihub:log-retention-days"
SHIPMENT_TIMEOUT_SECONDS = "omnihub:shipment-timeout-seconds"
REVIEW_TIMEOUT_SECONDS = "omnihub:review-timeout-seconds"
RAW_RETENTION_DAYS = "omnihub:raw-retention-days"
STATE_MACHINE_FILE_OVERRIDE = "omnihub:state-machine-file"


@dataclass(frozen=True)
class HubConfig:
    placeholder_layer: bool = False  # unit-test synths: an empty, clearly marked layer instead of .build/layer
    deletion_protection: bool = True  # tables; switch off only for throwaway stacks
    log_retention_days: int = 30
    shipment_timeout_seconds: int = 3 * 24 * 3600  # RequestFulfilment waits this long for the warehouse
    review_timeout_seconds: int = 24 * 3600  # AwaitReview holds an order this long for a person's decision
    raw_retention_days: int = 365  # raw platform payloads (encrypted personal data) are deleted after this
    state_machine_file: Path = REPO_ROOT / STATE_MACHINE_FILE

    @classmethod
    def from_context(cls, scope: Construct) -> "HubConfig":
        def get(key: str) -> Any:
            return scope.node.try_get_context(key)

        defaults = cls()
        asl = get(STATE_MACHINE_FILE_OVERRIDE)
        return cls(
            placeholder_layer=_as_bool(get(PLACEHOLDER_LAYER), defaults.placeholder_layer),
            deletion_protection=_as_bool(get(DELETION_PROTECTION), defaults.deletion_protection),
            log_retention_days=_as_int(get(LOG_RETENTION_DAYS), defaults.log_retention_days),
            shipment_timeout_seconds=_as_int(get(SHIPMENT_TIMEOUT_SECONDS), defaults.shipment_timeout_seconds),
            review_timeout_seconds=_as_int(get(REVIEW_TIMEOUT_SECONDS), defaults.review_timeout_seconds),
            raw_retention_days=_as_int(get(RAW_RETENTION_DAYS), defaults.raw_retention_days),
            state_machine_file=Path(asl) if asl else defaults.state_machine_file,
        )


def _as_bool(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ValueError(f"expected a boolean in CDK context, got {value!r}")


def _as_int(value: Any, default: int) -> int:
    return default if value is None else int(value)
