"""Tmall / Taobao (TOP) connector: orders pulled by modified-time windows and the TMC queue over HTTP.

Import-light on purpose: the registry reads `MANIFEST` without loading the connector's code.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="tmall",
    display_name="Tmall / Taobao",
    connector_class="connectors.tmall.connector:TmallConnector",
    api_base_url="https://eco.taobao.com/router/rest",
    poll_handler="connectors.tmall.handler.lambda_handler",
    poll_every_minutes=2,
    simulator="connectors.tmall.simulator:TmallSimulator",
)
