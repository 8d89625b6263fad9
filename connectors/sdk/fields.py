"""Reading typed fields out of a platform's order payload (a JSON object), shared by the connectors' normalisers.

Every reader raises `OrderInvalid` naming the order and the field, so a bad payload is archived with a clear reason.
Platforms differ in how they spell times (unix seconds, millis, text), so time readers take the converter.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.sdk.errors import OrderInvalid
from schemas.money import yuan_to_fen
from schemas.timeutil import from_shanghai_text

IntegerReader = Callable[[object, str, str], int]
"""Reads an integer: (value, key, order_id) -> int, raising `OrderInvalid` when it is not one."""


def text(raw: Mapping[str, Any], key: str) -> str | None:
    """The stripped string at `key`, or None when it is absent, not a string or blank."""
    value = raw.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def required_text(raw: Mapping[str, Any], key: str, order_id: str) -> str:
    """Like `text`, but a missing or blank value makes the order invalid."""
    value = text(raw, key)
    if value is None:
        raise OrderInvalid(f"order {order_id} has no {key}")
    return value


def optional_id(raw: Mapping[str, Any], key: str) -> str | None:
    """An identifier sent either as a JSON integer or as a string; booleans and blanks count as absent."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(raw, key)


def integer(value: object, key: str, order_id: str) -> int:
    """An integer, or a string of decimal digits.

    Money and counts are integers on these platforms; a float means the payload is not what we think it is.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise OrderInvalid(f"order {order_id} field {key} is not an integer")


def fen(
    raw: Mapping[str, Any],
    key: str,
    order_id: str,
    *,
    default: int | None = None,
    to_integer: IntegerReader = integer,
) -> int:
    """A non-negative amount in integer fen; `default` stands in when the field is absent.

    `to_integer` lets a platform with stricter (or differently worded) integer rules keep them.
    """
    value = raw.get(key)
    if value is None and default is not None:
        return default
    amount = to_integer(value, key, order_id)
    if amount < 0:
        raise OrderInvalid(f"order {order_id} field {key} is negative")
    return amount


def optional_time(
    raw: Mapping[str, Any],
    key: str,
    order_id: str,
    to_datetime: Callable[[int], datetime],
    *,
    blank_is_none: bool = False,
    to_integer: IntegerReader = integer,
) -> datetime | None:
    """An epoch time (unit chosen by `to_datetime`, e.g. unix seconds or millis); absent or zero means None.

    `blank_is_none` treats an empty string as absent (some platforms send "" for an unset time).
    """
    value = raw.get(key)
    if value is None or (blank_is_none and value == ""):
        return None
    number = to_integer(value, key, order_id)
    return to_datetime(number) if number > 0 else None


def time_field(
    raw: Mapping[str, Any],
    key: str,
    order_id: str,
    to_datetime: Callable[[int], datetime],
    *,
    blank_is_none: bool = False,
    to_integer: IntegerReader = integer,
) -> datetime:
    """Like `optional_time`, but an absent or zero time makes the order invalid."""
    moment = optional_time(raw, key, order_id, to_datetime, blank_is_none=blank_is_none, to_integer=to_integer)
    if moment is None:
        raise OrderInvalid(f"order {order_id} has no {key}")
    return moment


def mapping(raw: Mapping[str, Any], key: str, order_id: str) -> Mapping[str, Any]:
    """The JSON object at `key`; absent means empty, anything but an object makes the order invalid."""
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise OrderInvalid(f"order {order_id} field {key} is not an object")
    return value


def array(raw: Mapping[str, Any], key: str, order_id: str) -> list[Any]:
    """The JSON array at `key`; absent means empty, anything but an array makes the order invalid."""
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise OrderInvalid(f"order {order_id} field {key} is not a list")
    return value


# --- TOP and JOS (Taobao, Tmall 供销, JD): amounts as yuan text, times as Shanghai wall-clock text -------------


def yuan(record: Mapping[str, Any], name: str, *, default: str | None = None) -> int:
    """A yuan amount ("200.07", or a number) as integer fen; absent or blank takes `default`, else is refused."""
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise OrderInvalid(f"missing amount {name}")
        value = default
    if isinstance(value, bool):
        raise OrderInvalid(f"amount {name} is not a yuan amount")
    try:
        return yuan_to_fen(value)
    except ValueError as exc:
        raise OrderInvalid(f"amount {name} is not a yuan amount") from exc


def shanghai_time(record: Mapping[str, Any], name: str) -> datetime | None:
    """A `yyyy-MM-dd HH:mm:ss` Asia/Shanghai time as an aware datetime; None when absent or blank."""
    value = record.get(name)
    written = "" if value is None else str(value).strip()
    if not written:
        return None
    try:
        return from_shanghai_text(written)
    except ValueError as exc:
        raise OrderInvalid(f"time {name} is not yyyy-MM-dd HH:mm:ss") from exc


def required_shanghai_time(record: Mapping[str, Any], name: str) -> datetime:
    moment = shanghai_time(record, name)
    if moment is None:
        raise OrderInvalid(f"missing time {name}")
    return moment
