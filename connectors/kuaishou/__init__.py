"""Kuaishou 快手小店 connector: encrypted push messages in, `open.order.cursor.list` polled as the safety net.

Kept import-light: the registry imports this module to read `MANIFEST` at cold start and at synth time.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="kuaishou",
    display_name="Kuaishou 快手小店",
    connector_class="connectors.kuaishou.connector:KuaishouConnector",
    api_base_url="https://openapi.kwaixiaodian.com",
    webhook_handler="connectors.kuaishou.webhook_handler.lambda_handler",
    poll_handler="connectors.kuaishou.poll_handler.lambda_handler",
    simulator="connectors.kuaishou.simulator:KuaishouSimulator",
)
