"""POS connector: the brand's own stores push store sales and click-and-collect orders as signed JSON webhooks.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="pos",
    display_name="Own stores (POS)",
    connector_class="connectors.pos.connector:PosConnector",
    # The brand's store-system gateway; set OMNIHUB_POS_API_URL per deployment.
    api_base_url="https://pos-api.omnihub.internal",
    webhook_handler="connectors.pos.handler.lambda_handler",
    simulator="connectors.pos.simulator:PosSimulator",
)
