"""One Secrets Manager secret per registered connector: `omnihub/channels/{channel}`.

The secret is created with the JSON shape `{app_key, app_secret, shop_tokens}`; `app_secret` starts as a
random string so that no signature verifies until an operator stores the platform-issued values.
"""

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from connectors.registry import manifests
from hubcore.settings import HubSettings
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pascal, pin_logical_id

# The documented default ("omnihub/channels/"), never the synthesizing shell's OMNIHUB_* environment.
SECRET_PREFIX: str = HubSettings.model_fields["channel_secret_prefix"].default


class ChannelSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.by_channel: dict[str, secretsmanager.Secret] = {
            manifest.channel: self._secret(manifest.channel, manifest.display_name) for manifest in manifests().values()
        }

    def _secret(self, channel: str, display_name: str) -> secretsmanager.Secret:
        logical_id = f"{pascal(channel)}ChannelSecret"
        secret = secretsmanager.Secret(
            self,
            logical_id,
            secret_name=f"{SECRET_PREFIX}{channel}",
            description=f"{display_name} credentials: JSON {{app_key, app_secret, shop_tokens: {{shop_id: token}}}}",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"app_key": "", "shop_tokens": {}}),
                generate_string_key="app_secret",
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        pin_logical_id(secret, logical_id)
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Platform app keys, secrets and shop tokens are issued by the sales platform; they are rotated in "
            "the platform's console and stored here by an operator, so a Secrets Manager rotation Lambda "
            "has nothing it could rotate.",
        )
        return secret
