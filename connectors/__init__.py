"""Channel connectors: one package per platform, discovered through `connectors.registry`."""
