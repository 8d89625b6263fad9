"""Lambda entry point of the scheduled Pinduoduo poller (the message service is a WebSocket: polling only)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("pinduoduo")
