"""The POS webhook signature and replay rules (docs/pos-webhook.md)."""

from datetime import UTC, datetime, timedelta

import pytest

from connectors.pos.replay import MemoryNonceStore, NonceReused, check_nonce
from connectors.pos.signing import signature, signed_headers, verify
from connectors.sdk.errors import SignatureInvalid, SignatureMissing, TimestampStale

# The worked example of docs/pos-webhook.md (cross-checked with `openssl dgst -sha256 -hmac`).
KEY = "store-key-S001-example"
TS = 1709255765
NONCE = "n0nce-0000000001"
BODY = b'{"event_id":"e-0001","order":{"order_id":"S001-20240301-000123","store_id":"S001"}}'
EXPECTED = "5c40e1ae293a4cc0ed237fdd1c0e2e76e360350adbddc6230fed9b06e65934b4"
KEYS = {"store_key:S001": KEY}
AT = datetime.fromtimestamp(TS, tz=UTC)


def _headers(**changes: str) -> dict[str, str]:
    headers = {k.lower(): v for k, v in signed_headers("S001", KEY, TS, NONCE, BODY).items()}
    headers.update(changes)
    return headers


def test_documented_worked_example() -> None:
    assert signature(KEY, TS, NONCE, BODY) == EXPECTED
    assert verify(_headers(), BODY, keys=KEYS, now=AT).signature == EXPECTED


def test_upper_case_hex_is_accepted() -> None:
    verify(_headers(**{"x-omnihub-signature": EXPECTED.upper()}), BODY, keys=KEYS, now=AT)


@pytest.mark.parametrize("header", ["x-omnihub-store", "x-omnihub-timestamp", "x-omnihub-nonce", "x-omnihub-signature"])
def test_each_header_is_required(header: str) -> None:
    headers = _headers()
    del headers[header]
    with pytest.raises(SignatureMissing):
        verify(headers, BODY, keys=KEYS, now=AT)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-omnihub-store": "S002"},  # a store without a key: not told apart from a bad signature
        {"x-omnihub-timestamp": "1709255766"},
        {"x-omnihub-nonce": "n0nce-0000000002"},
        {"x-omnihub-nonce": "short"},
        {"x-omnihub-timestamp": "17092557.65"},
    ],
)
def test_anything_changed_is_invalid(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        verify(_headers(**headers), BODY, keys=KEYS, now=AT)


def test_a_changed_body_is_invalid() -> None:
    with pytest.raises(SignatureInvalid):
        verify(_headers(), BODY.replace(b"000123", b"000124"), keys=KEYS, now=AT)


def test_five_minutes_either_way() -> None:
    verify(_headers(), BODY, keys=KEYS, now=AT + timedelta(seconds=300))
    verify(_headers(), BODY, keys=KEYS, now=AT - timedelta(seconds=300))
    for skew in (timedelta(seconds=301), -timedelta(seconds=301)):
        with pytest.raises(TimestampStale):
            verify(_headers(), BODY, keys=KEYS, now=AT + skew)


def test_a_nonce_reused_by_another_request_is_refused_an_identical_redelivery_is_not() -> None:
    store = MemoryNonceStore()
    ttl = timedelta(minutes=10)
    check_nonce(store, "S001", NONCE, "sig-a", now=AT, ttl=ttl)
    check_nonce(store, "S001", NONCE, "sig-a", now=AT + timedelta(seconds=30), ttl=ttl)  # the POS retried
    with pytest.raises(NonceReused):
        check_nonce(store, "S001", NONCE, "sig-b", now=AT + timedelta(seconds=60), ttl=ttl)
    check_nonce(store, "S002", NONCE, "sig-b", now=AT, ttl=ttl)  # nonces are per store
    check_nonce(store, "S001", NONCE, "sig-b", now=AT + ttl + timedelta(seconds=1), ttl=ttl)  # expired


def test_the_lru_keeps_a_bounded_number_of_nonces() -> None:
    store = MemoryNonceStore(max_entries=3)
    for i in range(5):
        store.remember(f"S001\nnonce-{i}", "f", now=AT, ttl=timedelta(minutes=10))
    assert len(store) == 3
    assert store.remember("S001\nnonce-0", "g", now=AT, ttl=timedelta(minutes=10)) is None  # evicted, best effort
    assert store.remember("S001\nnonce-4", "g", now=AT, ttl=timedelta(minutes=10)) == "f"
