"""One local hub (moto in-process, the Douyin and Tmall simulators, the real template) shared by the e2e tests."""

from collections.abc import Iterator

import pytest

from localhub.demo import Platform, start_platform


@pytest.fixture(scope="package")
def platform() -> Iterator[Platform]:
    # Two channels of opposite shapes; the template still has every channel (their pollers find no keys).
    running = start_platform(warehouse_delay_seconds=0.0, channels=("douyin", "tmall"))
    try:
        yield running
    finally:
        running.stop()
