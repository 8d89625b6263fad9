"""WeChat Pay APIv3 connector for the brand's mini-program orders: signed, encrypted payment and refund
notifications in; the brand's own order service for lines and receiver; mini-program shipping info out.

Kept import-light: the registry imports this module to read `MANIFEST` at cold start and at synth time.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="wechat_pay",
    display_name="WeChat Pay 小程序商城",
    connector_class="connectors.wechat_pay.connector:WechatPayConnector",
    api_base_url="https://api.weixin.qq.com",
    webhook_handler="connectors.wechat_pay.handler.lambda_handler",
    simulator="connectors.wechat_pay.simulator:WechatPaySimulator",
)
