"""Context settings, the placeholder layer and the refusal to synthesize without a real layer."""

from pathlib import Path

import pytest
from aws_cdk import App

from infra_cdk import config
from infra_cdk.config import HubConfig
from infra_cdk.constructs import packaging
from infra_cdk.stack import OmniHubStack
from tests.infrastructure.conftest import Synth, cdk_json_context

pytestmark = pytest.mark.xdist_group("cdk")


def test_context_strings_from_the_command_line_are_parsed() -> None:
    app = App(
        context={
            config.DELETION_PROTECTION: "false",
            config.PLACEHOLDER_LAYER: "true",
            config.SHIPMENT_TIMEOUT_SECONDS: "600",
            config.LOG_RETENTION_DAYS: "14",
        }
    )
    parsed = HubConfig.from_context(app)
    assert parsed.deletion_protection is False and parsed.placeholder_layer is True
    assert parsed.shipment_timeout_seconds == 600 and parsed.log_retention_days == 14


def test_cdk_json_deploys_with_the_real_layer_and_deletion_protection() -> None:
    context = cdk_json_context()
    assert context[config.PLACEHOLDER_LAYER] is False
    assert context[config.DELETION_PROTECTION] is True


def test_placeholder_layer_is_marked_and_never_mistaken_for_the_real_one(synth: Synth) -> None:
    layer = synth.resources["DependenciesLayer"]["Properties"]
    assert layer["Description"].startswith("PLACEHOLDER")
    note = packaging.PLACEHOLDER_DIR / "python" / "PLACEHOLDER.txt"
    assert "must never be deployed" in note.read_text()


def test_without_a_built_layer_synthesis_asks_for_make_layer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(packaging, "LAYER_DIR", tmp_path / "missing-layer")
    with pytest.raises(FileNotFoundError, match="make layer"):
        OmniHubStack(App(context={config.PLACEHOLDER_LAYER: False}), "NoLayer")


def test_an_asl_placeholder_without_a_value_fails_synthesis(tmp_path: Path) -> None:
    asl = tmp_path / "broken.asl.json"
    asl.write_text('{"StartAt": "X", "States": {"X": {"Type": "Task", "Resource": "${NoSuchFunctionArn}"}}}')
    with pytest.raises(ValueError, match="NoSuchFunctionArn"):
        OmniHubStack(App(context={config.PLACEHOLDER_LAYER: True, config.STATE_MACHINE_FILE_OVERRIDE: str(asl)}), "X")
