"""Discovery of connector packages: every sub-package of `connectors` that defines `MANIFEST`.

The CDK app, the local hub and the workflow's write-back step all read this one registry, so onboarding
a channel is adding a package; nothing in the core changes.
"""

import importlib
import pkgutil
from functools import cache
from typing import Any

import connectors
from connectors.sdk.errors import UnknownChannel
from connectors.sdk.manifest import ConnectorManifest

_NOT_CONNECTORS = frozenset({"sdk"})


@cache
def manifests() -> dict[str, ConnectorManifest]:
    found: dict[str, ConnectorManifest] = {}
    for module in pkgutil.iter_modules(connectors.__path__):
        if not module.ispkg or module.name in _NOT_CONNECTORS:
            continue
        package = importlib.import_module(f"connectors.{module.name}")
        manifest = getattr(package, "MANIFEST", None)
        if isinstance(manifest, ConnectorManifest):
            if manifest.channel != module.name:
                raise ValueError(f"connector package {module.name} declares channel {manifest.channel}")
            found[manifest.channel] = manifest
    return dict(sorted(found.items()))


def manifest_for(channel: str) -> ConnectorManifest:
    try:
        return manifests()[channel]
    except KeyError as exc:
        raise UnknownChannel(f"no connector is registered for channel '{channel}'") from exc


def import_dotted(path: str) -> Any:
    """Resolve 'package.module:attribute'."""
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
