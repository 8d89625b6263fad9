"""Fulfilment ids: one per order, derived from the order key so a retried request reuses it."""

import hashlib


def fulfilment_id(order_key: str) -> str:
    return "F" + hashlib.sha256(order_key.encode("utf-8")).hexdigest()[:20].upper()


def receiver_region(province: str | None, city: str | None, district: str | None) -> str:
    """The region in clear for the warehouse's routing (no street address, no name, no phone)."""
    return " ".join(part for part in (province, city, district) if part)
