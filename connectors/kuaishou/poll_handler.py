"""Lambda entry point of the scheduled Kuaishou poller (`open.order.cursor.list` windows)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("kuaishou")
