"""Warehouse callback API: shipment confirmations."""
