"""Canonical contracts of OmniHub: the order model and the events on the bus."""
