"""JD 厂直 / 一件代发 (DPS) connector: JD 自营 orders the brand drop-ships, polled via `jingdong.dropship.dps.*`.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="jd_dps",
    display_name="JD 厂直 / 一件代发 (DPS, 京东自营)",
    connector_class="connectors.jd_dps.connector:JdDpsConnector",
    api_base_url="https://api.jd.com/routerjson",
    poll_handler="connectors.jd_dps.handler.lambda_handler",
    poll_every_minutes=5,
    simulator="connectors.jd_dps.simulator:JdDpsSimulator",
)
