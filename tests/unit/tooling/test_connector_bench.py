"""The connector bench's sample order must lie in the past at any time of day: a push stamped in the future is
refused (Kuaishou's replay window), and the bench failed for the first eight hours of each UTC day."""

from datetime import UTC, datetime, timedelta

import pytest

from localhub import connector_bench


@pytest.mark.parametrize("hour", [0, 3, 7, 8, 15, 16, 23])
def test_the_sample_order_was_created_within_the_last_hour_at_any_time_of_day(monkeypatch, hour):
    now = datetime(2026, 11, 25, hour, 30, tzinfo=UTC)
    monkeypatch.setattr(connector_bench, "utc_now", lambda: now)

    created = connector_bench._sample_spec("shop-1").created_at

    assert now - timedelta(hours=1) <= created <= now
