"""Tmall / Taobao distribution (供销平台 and 淘宝代发) where the brand is the supplier: drop-ship purchase orders,
pulled by modified-time windows over TOP.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="tmall_fenxiao",
    display_name="Tmall / Taobao distribution (供销 / 代发)",
    connector_class="connectors.tmall_fenxiao.connector:TmallFenxiaoConnector",
    api_base_url="https://eco.taobao.com/router/rest",
    poll_handler="connectors.tmall_fenxiao.handler.lambda_handler",
    poll_every_minutes=5,
    simulator="connectors.tmall_fenxiao.simulator:FenxiaoSimulator",
)
