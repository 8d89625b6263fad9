"""Lambda entry point of the scheduled WeChat 小店 `order/list/get` poller (the push's safety net)."""

from connectors.sdk.poll_handler import make_poll_handler

lambda_handler = make_poll_handler("wechat_shop")
