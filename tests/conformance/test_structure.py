"""Structural checks: what a connector package must contain to be deployable and testable.

A fresh scaffold (`omnihub connector new NAME`) passes these at once.
"""

import ast
import importlib
import json
from pathlib import Path

from connectors.registry import import_dotted, manifest_for
from connectors.sdk.contracts import Connector, PollingConnector, WebhookConnector
from connectors.sdk.simulator import PlatformSimulator
from tests.conformance.kit import load_profile

REPO = Path(__file__).parents[2]


def _fixture_dirs(channel: str) -> list[Path]:
    package_dir = Path(importlib.import_module(f"connectors.{channel}").__file__ or "").parent
    return [REPO / "events" / channel, package_dir.parents[1] / "events" / channel]


def test_manifest_names_real_parts(channel: str) -> None:
    manifest = manifest_for(channel)
    assert manifest.display_name.strip()
    assert manifest.api_base_url.startswith("https://"), "the production gateway must be https"
    assert manifest.webhook_handler or manifest.poll_handler, "a connector needs a webhook or a poller"
    connector_class = import_dotted(manifest.connector_class)
    assert isinstance(connector_class, type) and issubclass(connector_class, Connector)
    assert connector_class.channel == channel
    if manifest.webhook_handler:
        assert issubclass(connector_class, WebhookConnector), "a webhook needs a WebhookConnector"
    if manifest.poll_handler:
        assert issubclass(connector_class, PollingConnector), "a poller needs a PollingConnector"
    assert set(manifest.webhook_methods) <= {"GET", "POST"}


def test_handlers_resolve_to_callables(channel: str) -> None:
    manifest = manifest_for(channel)
    for handler in filter(None, (manifest.webhook_handler, manifest.poll_handler)):
        module, _, attribute = handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), handler


def test_simulator_is_a_platform_simulator(channel: str) -> None:
    manifest = manifest_for(channel)
    assert manifest.simulator, "every connector ships a platform simulator"
    simulator_class = import_dotted(manifest.simulator)
    assert isinstance(simulator_class, type) and issubclass(simulator_class, PlatformSimulator)


def test_profile_is_declared_for_this_channel(channel: str) -> None:
    assert load_profile(channel).channel == channel


def test_connector_module_documents_its_platform(channel: str) -> None:
    module = importlib.import_module(manifest_for(channel).connector_class.partition(":")[0])
    docstring = ast.get_docstring(ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8")))
    assert docstring and len(docstring) > 40, "say what the connector does and which facts are inferred"


def test_sample_payloads_exist_and_parse(channel: str) -> None:
    found = [p for d in _fixture_dirs(channel) if d.is_dir() for p in sorted(d.glob("*.json"))]
    assert found, f"put realistic sample payloads in events/{channel}/"
    for path in found:
        json.loads(path.read_text(encoding="utf-8"))
