"""One local hub (moto in-process, both platform simulators, the real template) shared by the e2e tests."""

from collections.abc import Iterator

import pytest

from localhub.demo import Platform, start_platform


@pytest.fixture(scope="package")
def platform() -> Iterator[Platform]:
    running = start_platform(warehouse_delay_seconds=0.0)
    try:
        yield running
    finally:
        running.stop()
