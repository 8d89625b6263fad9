"""Shared pytest fixtures. Each section belongs to the part of the hub that created it."""

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.workflows.harness import HubAws

# --- order-fulfilment workflow, stock ledger and the hub's functions (tests/workflows/harness.py) ---------


@pytest.fixture
def hub_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator["HubAws"]:
    """moto in-process (Lambda without Docker, executing Step Functions) with the hub's tables and bus."""
    from moto import mock_aws

    from functions.workflow.logic.audit import load_rules
    from hubcore.aws import reset_clients
    from hubcore.settings import reset_settings
    from tests.workflows.harness import HUB_ENV, MOTO_CONFIG, HubAws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "OMNIHUB_STATE_MACHINE_ARN", "OMNIHUB_AUDIT_RULES_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in HUB_ENV.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    reset_clients()
    load_rules.cache_clear()
    with mock_aws(config=MOTO_CONFIG):
        yield HubAws.create()
    reset_clients()
    reset_settings()
