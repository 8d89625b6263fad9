"""Tiny Lambda handlers that the moto shim tests run in-process."""

import threading
from typing import Any

CALLS: list[dict[str, Any]] = []
ASYNC_DONE = threading.Event()


class OutOfStock(Exception):
    pass


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    CALLS.append(event)
    return {"echo": event, "function": context.function_name, "remaining_ms": context.get_remaining_time_in_millis()}


def out_of_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise OutOfStock(f"no stock for {event.get('sku')}")


def background(event: dict[str, Any], context: Any) -> None:
    CALLS.append(event)
    ASYNC_DONE.set()
