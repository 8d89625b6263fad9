"""Lambda entry point of the distribution poller (EventBridge Scheduler, every few minutes)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("tmall_fenxiao")
