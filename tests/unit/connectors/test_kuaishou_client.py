"""The Kuaishou API client: signed requests, GET for reads / POST forms for writes, envelopes and errors."""

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx
import pytest

from connectors.kuaishou.client import KuaishouApiError, KuaishouClient
from connectors.kuaishou.signing import sign
from connectors.sdk.errors import PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp

SECRET = "sign-secret"


def client_with(
    answer: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request], attempts: int = 3
) -> KuaishouClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    transport = httpx.MockTransport(handler)
    http = PlatformHttp("https://kuaishou.test", transport=transport, max_attempts=attempts, initial_backoff=0.001)
    write_http = PlatformHttp("https://kuaishou.test", transport=transport, max_attempts=1)
    return KuaishouClient(
        app_key="ks123", sign_secret=SECRET, http=http, write_http=write_http, clock=lambda: 1583271919.0
    )


def ok(data: object) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, json={"result": 1, "data": data})


def fields(request: httpx.Request) -> dict[str, str]:
    if request.method == "GET":
        return dict(request.url.params)
    return dict(parse_qsl(request.content.decode(), keep_blank_values=True))


def test_reads_are_signed_get_queries() -> None:
    seen: list[httpx.Request] = []
    client = client_with(ok({"orderBaseInfo": {"oid": 1}}), seen)
    client.order_detail("2607602240240301", "tok")
    (request,) = seen
    sent = fields(request)
    assert (request.method, request.url.path) == ("GET", "/open/order/detail")
    assert sent["param"] == '{"oid":2607602240240301}' and sent["timestamp"] == "1583271919000"
    assert (sent["appkey"], sent["version"], sent["signMethod"], sent["access_token"]) == (
        "ks123",
        "1",
        "HMAC_SHA256",
        "tok",
    )
    unsigned = {k: v for k, v in sent.items() if k != "sign"}
    assert sent["sign"] == sign(unsigned, SECRET, "HMAC_SHA256")


def test_writes_are_signed_post_forms() -> None:
    seen: list[httpx.Request] = []
    client = client_with(ok(None), seen)
    client.goods_deliver(order_id="42", express_no="SF1", express_code=4, access_token="tok")
    (request,) = seen
    assert (request.method, request.url.path) == ("POST", "/open/seller/order/goods/deliver")
    sent = fields(request)
    assert json.loads(sent["param"]) == {"orderId": 42, "expressNo": "SF1", "expressCode": 4}
    assert sent["sign"] == sign({k: v for k, v in sent.items() if k != "sign"}, SECRET, "HMAC_SHA256")


def test_a_business_refusal_carries_the_platform_code() -> None:
    refusal = httpx.Response(200, json={"result": 24, "error_msg": "AUTHORIZATION_REVOKED", "code": "24"})
    client = client_with(lambda request: refusal, [])
    with pytest.raises(KuaishouApiError) as raised:
        client.order_detail("1", "tok")
    assert raised.value.platform_code == "24" and "AUTHORIZATION_REVOKED" in raised.value.message


def test_rate_limit_refusals_and_gateway_pages_are_transient() -> None:
    limited = httpx.Response(200, json={"result": 803, "error_msg": "调用频繁，请稍后重试"})
    with pytest.raises(PlatformUnavailable):
        client_with(lambda request: limited, []).order_detail("1", "tok")
    page = httpx.Response(200, text="<html>502 Bad Gateway</html>")
    with pytest.raises(PlatformUnavailable):
        client_with(lambda request: page, []).order_detail("1", "tok")


def test_reads_are_retried_after_5xx_but_a_stock_delta_is_sent_once() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"result": 1, "data": {"orderBaseInfo": {}}})])
    seen: list[httpx.Request] = []
    client_with(lambda request: next(answers), seen).order_detail("1", "tok")
    assert len(seen) == 2
    seen.clear()
    client = client_with(lambda request: httpx.Response(503), seen)
    with pytest.raises(PlatformUnavailable):
        client.sku_stock_change(item_id="30", sku_id="300", delta=-3, access_token="tok")
    assert len(seen) == 1  # a repeat could apply the delta twice
    assert json.loads(fields(seen[0])["param"]) == {
        "kwaiItemId": 30,
        "skuId": 300,
        "skuChangeStock": 3,
        "changeType": 2,
    }


def test_cursor_list_defaults_to_the_end_marker_and_rejects_odd_shapes() -> None:
    client = client_with(ok({"orderList": [], "cursor": ""}), [])
    assert client.order_cursor_list(access_token="t", begin_ms=1, end_ms=2, cursor="", page_size=3) == ([], "nomore")
    with pytest.raises(PlatformRejected):
        client_with(ok({"orderList": "x"}), []).order_cursor_list(
            access_token="t", begin_ms=1, end_ms=2, cursor="", page_size=3
        )


def test_stock_read_finds_the_sku_or_refuses() -> None:
    data = {"skuList": [{"kwaiSkuId": 300, "skuStock": 7}, {"kwaiSkuId": 301, "skuStock": 2}]}
    client = client_with(ok(data), [])
    assert client.sku_stock(item_id="30", sku_id="301", access_token="t") == 2
    with pytest.raises(PlatformRejected):
        client.sku_stock(item_id="30", sku_id="999", access_token="t")
    with pytest.raises(ValueError):
        client.sku_stock_change(item_id="30", sku_id="300", delta=0, access_token="t")
