"""Lambda entry point of the WeChat 小店 message push (API Gateway proxy; GET URL check and POST events)."""

from connectors.sdk.webhook_handler import make_webhook_handler

lambda_handler = make_webhook_handler("wechat_shop")
