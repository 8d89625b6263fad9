"""Nonce bookkeeping for the POS webhook: a nonce seen within the replay window is refused.

Pure logic over an injectable store. The default `MemoryNonceStore` is an LRU inside one Lambda container:
best effort — another container, or a cold start, has not seen the nonce. That is acceptable because the
signature window bounds a replay to five minutes and, beyond that, exactly-once *effect* never depended on
nonces: ingestion records an order only when its version is newer (connectors/sdk/ingest.py), so a replayed
order changes nothing wherever it lands. A shared store (e.g. a DynamoDB conditional put with a TTL) can be
injected where refusing replays across containers matters.

A byte-identical redelivery (same nonce, same signature) is not an attack — its effect is nil by the version
rule — and it is what a POS sends when our reply was lost, so it is answered like the first delivery; a
nonce reused with any other timestamp or body is refused (NonceReused).
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import Protocol

from connectors.sdk.errors import ConnectorError


class NonceReused(ConnectorError):
    code = "NONCE_REUSED"
    http_status = 401


@dataclass(frozen=True)
class SeenNonce:
    fingerprint: str  # the request's signature: equal for a byte-identical redelivery
    expires_at: datetime


class NonceStore(Protocol):
    def remember(self, key: str, fingerprint: str, *, now: datetime, ttl: timedelta) -> str | None:
        """Record `key` (store + nonce) unless already seen and unexpired; return the earlier fingerprint if any."""
        ...


class MemoryNonceStore:
    """An in-process LRU of recent nonces (thread-safe; oldest dropped beyond `max_entries`)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, SeenNonce] = OrderedDict()
        self._max_entries = max_entries
        self._lock = Lock()

    def remember(self, key: str, fingerprint: str, *, now: datetime, ttl: timedelta) -> str | None:
        with self._lock:
            seen = self._entries.get(key)
            if seen is not None and seen.expires_at > now:
                self._entries.move_to_end(key)
                return seen.fingerprint
            self._entries[key] = SeenNonce(fingerprint, now + ttl)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
            return None

    def __len__(self) -> int:
        return len(self._entries)


def check_nonce(
    store: NonceStore, store_id: str, nonce: str, fingerprint: str, *, now: datetime, ttl: timedelta
) -> None:
    """Refuse a nonce already used by a different request of the same store within `ttl`."""
    earlier = store.remember(f"{store_id}\n{nonce}", fingerprint, now=now, ttl=ttl)
    if earlier is not None and earlier != fingerprint:
        raise NonceReused(f"nonce already used by another request of store {store_id} within the replay window")
