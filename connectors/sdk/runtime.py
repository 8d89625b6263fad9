"""Building a live connector: its class from the registry, its keys from Secrets Manager, its gateway URL.

Credentials are one JSON secret per channel, `{app_key, app_secret, shop_tokens: {shop_id: token}, extra: {...}}`,
read through Powertools parameters (cached for five minutes). `OMNIHUB_<CHANNEL>_API_URL` overrides the
production gateway (the local hub points it at the platform simulator).
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.parameters import get_secret

from connectors.registry import import_dotted, manifest_for
from connectors.sdk.contracts import Connector, Credentials
from hubcore.errors import HubError
from hubcore.settings import settings


class ChannelNotConfigured(HubError):
    """The channel's secret does not hold its keys yet (the stack creates it with a random placeholder)."""

    code = "CHANNEL_NOT_CONFIGURED"
    http_status = 503


def load_credentials(channel: str) -> Credentials:
    name = f"{settings().channel_secret_prefix}{channel}"
    secret: Any = get_secret(name, transform="json", max_age=300)
    if not isinstance(secret, dict) or "app_key" not in secret or "app_secret" not in secret:
        raise ChannelNotConfigured(f"secret {name} holds no app_key/app_secret yet: put the channel's keys in it")
    return Credentials(
        app_key=str(secret["app_key"]),
        app_secret=str(secret["app_secret"]),
        shop_tokens={str(k): str(v) for k, v in secret.get("shop_tokens", {}).items()},
        extra={str(k): str(v) for k, v in secret.get("extra", {}).items()},
    )


def api_base_url(channel: str) -> str:
    return os.environ.get(f"OMNIHUB_{channel.upper()}_API_URL") or manifest_for(channel).api_base_url


_connectors: dict[str, Connector] = {}


def connector_class(channel: str) -> type[Connector]:
    """The channel's connector class. A channel's own handlers call this at import, so its code (signing,
    normalising, the HTTP client) loads in the Lambda init phase rather than in the first request."""
    cls: type[Connector] = import_dotted(manifest_for(channel).connector_class)
    return cls


def load_connector(channel: str) -> Connector:
    """The channel's connector, reused across invocations while its credentials and gateway stay the same
    (building one opens a new HTTP client: ~20 ms of TLS setup per call otherwise)."""
    credentials, base_url = load_credentials(channel), api_base_url(channel)
    cached = _connectors.get(channel)
    if cached is not None and cached.credentials == credentials and cached.api_base_url == base_url.rstrip("/"):
        return cached
    connector: Connector = connector_class(channel)(credentials, base_url)
    _connectors[channel] = connector
    return connector
