"""JD POP (JOS) connector: orders polled by modified-time windows (`jingdong.pop.order.enSearch`).

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="jd",
    display_name="JD POP (京东第三方商家)",
    connector_class="connectors.jd.connector:JdConnector",
    api_base_url="https://api.jd.com/routerjson",
    poll_handler="connectors.jd.handler.lambda_handler",
    poll_every_minutes=2,
    simulator="connectors.jd.simulator:JdSimulator",
)
