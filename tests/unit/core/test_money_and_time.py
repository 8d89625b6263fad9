from datetime import UTC, datetime
from decimal import Decimal

import pytest

from schemas.money import fen_to_yuan, yuan_to_fen
from schemas.timeutil import from_shanghai_text, from_unix_millis, from_unix_seconds, to_shanghai_text


@pytest.mark.parametrize(
    ("given", "fen"),
    [
        ("200.07", 20007),
        ("0.1", 10),
        ("3999", 399900),
        (" 12.50 ", 1250),
        (Decimal("0.01"), 1),
        (19.99, 1999),
        (0.3, 30),
    ],
)
def test_yuan_amounts_become_exact_fen(given: object, fen: int) -> None:
    # Given a platform yuan amount (string, Decimal or JSON double) / When converted / Then fen is exact
    assert yuan_to_fen(given) == fen  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["1.005", "abc", "NaN", ""])
def test_amounts_that_are_not_money_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_fen_formats_back_to_two_decimal_yuan() -> None:
    assert [fen_to_yuan(v) for v in (20007, 5, 0, -150)] == ["200.07", "0.05", "0.00", "-1.50"]


def test_beijing_wall_clock_text_is_read_as_gmt_plus_8() -> None:
    # Given Taobao's "yyyy-MM-dd HH:mm:ss" in Beijing time / Then the aware UTC instant is 8 hours earlier
    moment = from_shanghai_text("2024-01-01 12:00:00")
    assert moment == datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    assert to_shanghai_text(moment) == "2024-01-01 12:00:00"


def test_unix_times_are_aware_utc() -> None:
    assert from_unix_seconds(1704081600) == datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    assert from_unix_millis("1704081600500").microsecond == 500_000


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        to_shanghai_text(datetime(2024, 1, 1))  # noqa: DTZ001
