"""One secret per registered connector, readable by that channel's functions and by WriteBack only."""

import json

import pytest

from connectors.registry import manifests
from infra_cdk.naming import pascal
from tests.infrastructure.conftest import Synth, as_list, ref_id, role_statements

pytestmark = pytest.mark.xdist_group("cdk")

CHANNELS = sorted(manifests())


def test_one_secret_per_connector_with_the_credentials_template(synth: Synth) -> None:
    secrets = synth.of_type("AWS::SecretsManager::Secret")
    assert sorted(secrets) == sorted(f"{pascal(channel)}ChannelSecret" for channel in CHANNELS)
    for channel in CHANNELS:
        props = secrets[f"{pascal(channel)}ChannelSecret"]["Properties"]
        assert props["Name"] == f"omnihub/channels/{channel}"
        generated = props["GenerateSecretString"]
        assert generated["GenerateStringKey"] == "app_secret"
        assert json.loads(generated["SecretStringTemplate"]) == {"app_key": "", "shop_tokens": {}}


def readers_of(synth: Synth, secret_id: str) -> set[str]:
    readers = set()
    for function_id, function in synth.of_type("AWS::Lambda::Function").items():
        for statement in role_statements(synth, ref_id(function["Properties"]["Role"])):
            if "secretsmanager:GetSecretValue" in as_list(statement["Action"]) and secret_id in [
                ref_id(r) for r in as_list(statement["Resource"])
            ]:
                readers.add(function_id)
    return readers


@pytest.mark.parametrize("channel", CHANNELS)
def test_secret_is_read_by_its_channel_functions_and_write_back(synth: Synth, channel: str) -> None:
    manifest = manifests()[channel]
    expected = {"WriteBackFunction", "SyncChannelStockFunction"}  # write-back and stock push use every channel
    if manifest.webhook_handler:
        expected.add(f"{pascal(channel)}WebhookFunction")
    if manifest.poll_handler:
        expected.add(f"{pascal(channel)}PollerFunction")
    assert readers_of(synth, f"{pascal(channel)}ChannelSecret") == expected
