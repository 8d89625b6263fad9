"""WeChat 微信小店 / 视频号小店 connector: encrypted message push in, `order/list/get` windows as the safety net,
`order/get` to fetch, `order/delivery/send` to write back.

Kept import-light: the registry imports this module to read `MANIFEST` at cold start and at synth time.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="wechat_shop",
    display_name="WeChat 微信小店",
    connector_class="connectors.wechat_shop.connector:WechatShopConnector",
    api_base_url="https://api.weixin.qq.com",
    webhook_handler="connectors.wechat_shop.webhook_handler.lambda_handler",
    webhook_methods=("GET", "POST"),
    poll_handler="connectors.wechat_shop.poll_handler.lambda_handler",
    simulator="connectors.wechat_shop.simulator:WechatShopSimulator",
)
