"""The conformance kit runs every check for every registered connector (`channel` is parametrised).

`OMNIHUB_EXTRA_CONNECTORS` (a directory of connector packages) makes packages outside the repository
visible as `connectors.<name>` — the scaffold round-trip test uses it to run the kit on a fresh scaffold.
"""

import os
from collections.abc import Iterator

import pytest

import connectors
from connectors.registry import manifests
from connectors.sdk.conformance import ConformanceProfile
from connectors.sdk.simulator import PlatformSimulator
from tests.conformance.kit import load_profile

_extra = os.environ.get("OMNIHUB_EXTRA_CONNECTORS")
if _extra:
    connectors.__path__.append(_extra)
    manifests.cache_clear()

pytestmark = pytest.mark.xdist_group("conformance")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "channel" in metafunc.fixturenames:
        metafunc.parametrize("channel", sorted(manifests()))


@pytest.fixture
def profile(channel: str) -> ConformanceProfile:
    return load_profile(channel)


@pytest.fixture
def sim(profile: ConformanceProfile) -> Iterator[PlatformSimulator]:
    simulator = profile.new_simulator()
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()
