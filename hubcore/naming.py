"""Names derived from order keys, stable across retries so that AWS itself refuses duplicates."""

import hashlib
import re

_ALLOWED = re.compile(r"[^0-9A-Za-z_-]")
MAX_EXECUTION_NAME = 80


def execution_name(order_key: str) -> str:
    """A Step Functions execution name for an order: readable, within 80 chars, unique per order key."""
    digest = hashlib.sha256(order_key.encode("utf-8")).hexdigest()[:12]
    readable = _ALLOWED.sub("_", order_key)[: MAX_EXECUTION_NAME - len(digest) - 1]
    return f"{readable}-{digest}"
