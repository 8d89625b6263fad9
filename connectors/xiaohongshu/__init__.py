"""Xiaohongshu 小红书 (ark open platform) connector: signed pushes in, `order.getOrderList` windows as the
safety net, `order.getOrderDetail` to fetch, `order.orderDeliver` and `inventory.syncSkuStock` outbound.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="xiaohongshu",
    display_name="Xiaohongshu 小红书",
    connector_class="connectors.xiaohongshu.connector:XiaohongshuConnector",
    api_base_url="https://ark.xiaohongshu.com/ark/open_api/v3/common_controller",
    webhook_handler="connectors.xiaohongshu.webhook_handler.lambda_handler",
    poll_handler="connectors.xiaohongshu.poll_handler.lambda_handler",
    poll_every_minutes=5,
    simulator="connectors.xiaohongshu.simulator:XiaohongshuSimulator",
)
