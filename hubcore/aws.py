"""boto3 clients, one per service per process.

The same code talks to real AWS in production and to moto locally: boto3 honours the standard
`AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) variables, so switching is configuration only.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


# Callbacks attached to every client's `before-call` event (the benchmark counts AWS calls per order).
CALL_OBSERVERS: list[Callable[..., None]] = []


@cache
def client(service: str) -> Any:
    created = boto3.session.Session().client(service, config=_CONFIG)
    for observer in CALL_OBSERVERS:
        created.meta.events.register("before-call.*.*", observer)
    return created


def reset_clients() -> None:
    """Forget cached clients (tests and the local hub change endpoints between runs)."""
    client.cache_clear()
