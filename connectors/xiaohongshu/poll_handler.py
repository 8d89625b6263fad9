"""Lambda entry point of the scheduled Xiaohongshu poller (`order.getOrderList` by update time)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("xiaohongshu")
