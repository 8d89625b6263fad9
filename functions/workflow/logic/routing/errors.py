"""Errors of the routing engine: a bad policy/network file, or an input routing cannot accept."""

from hubcore.errors import HubError


class RoutingConfigError(HubError):
    """The routing policy or network file is invalid (schema, references or checksum)."""

    code = "ROUTING_CONFIG_INVALID"
    http_status = 500


class RoutingInputError(HubError):
    """Orders that cannot be routed together (e.g. a 'merge group' spanning shops or receivers)."""

    code = "ROUTING_INPUT_INVALID"
    http_status = 422
