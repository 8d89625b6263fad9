"""Douyin 抖店 connector: push messages in, `order.orderDetail` to fetch, `order.logisticsAdd` to write back.

Kept import-light: the registry imports this module to read `MANIFEST` at cold start and at synth time.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="douyin",
    display_name="Douyin 抖店",
    connector_class="connectors.douyin.connector:DouyinConnector",
    api_base_url="https://openapi-fxg.jinritemai.com",
    webhook_handler="connectors.douyin.handler.lambda_handler",
    simulator="connectors.douyin.simulator:DouyinSimulator",
)
