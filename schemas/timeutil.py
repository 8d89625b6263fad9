"""Timezone handling: platforms speak Asia/Shanghai; the hub stores timezone-aware UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLATFORM_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def from_unix_seconds(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def from_unix_millis(value: int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def from_shanghai_text(value: str) -> datetime:
    """Parse 'yyyy-MM-dd HH:mm:ss' in Beijing time (GMT+8) into an aware UTC datetime."""
    naive = datetime.strptime(value.strip(), PLATFORM_DATETIME_FORMAT)
    return naive.replace(tzinfo=SHANGHAI).astimezone(UTC)


def to_shanghai_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the hub only handles timezone-aware times")
    return moment.astimezone(SHANGHAI).strftime(PLATFORM_DATETIME_FORMAT)


def utc_now() -> datetime:
    return datetime.now(UTC)
