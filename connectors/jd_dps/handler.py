"""Lambda entry point of the JD 厂直 (DPS) poller (EventBridge Scheduler, every few minutes)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("jd_dps")
