"""Lambda entry point of the WeChat Pay APIv3 notification URL (API Gateway proxy)."""

from connectors.sdk.webhook_handler import make_webhook_handler

lambda_handler = make_webhook_handler("wechat_pay")
