"""Pinduoduo 拼多多 connector: orders pulled by `pdd.order.number.list.increment.get` windows, fetched with
`pdd.order.information.get`, shipped with `pdd.logistics.online.send`, stock set with `pdd.goods.quantity.update`.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="pinduoduo",
    display_name="Pinduoduo 拼多多",
    connector_class="connectors.pinduoduo.connector:PinduoduoConnector",
    api_base_url="https://gw-api.pinduoduo.com/api/router",
    poll_handler="connectors.pinduoduo.handler.lambda_handler",
    poll_every_minutes=2,
    simulator="connectors.pinduoduo.simulator:PinduoduoSimulator",
)
