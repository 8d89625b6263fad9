import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from schemas import export
from schemas.events import OrderReceived, make_event
from schemas.order import OrderStatus, make_version
from tests.unit.core.factories import make_order


def test_order_key_joins_channel_shop_and_platform_id() -> None:
    assert make_order().order_key == "douyin:123456:4900000000000000001"


def test_times_are_stored_in_utc_and_naive_times_are_refused() -> None:
    # Given a paid time in Beijing time / Then the model keeps the same instant in UTC
    beijing = timezone(timedelta(hours=8))
    order = make_order(paid_at=datetime(2024, 1, 1, 12, 0, tzinfo=beijing))
    assert order.paid_at == datetime(2024, 1, 1, 4, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        make_order(paid_at=datetime(2024, 1, 1, 12, 0))  # noqa: DTZ001


def test_money_must_be_integer_fen() -> None:
    with pytest.raises(ValidationError):
        make_order(paid_amount=3699.5)
    with pytest.raises(ValidationError):
        make_order(paid_amount=-1)


def test_an_order_needs_lines_with_distinct_ids_and_ids_without_colons() -> None:
    with pytest.raises(ValidationError):
        make_order(lines=[])
    line = make_order().lines[0]
    with pytest.raises(ValidationError):
        make_order(lines=[line, line])
    with pytest.raises(ValidationError):
        make_order(order_id="a:b")


def test_versions_order_by_time_then_life_cycle() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    later = moment + timedelta(milliseconds=1)
    assert make_version(moment, OrderStatus.PAID) < make_version(moment, OrderStatus.CANCELLED)
    assert make_version(moment, OrderStatus.CANCELLED) < make_version(later, OrderStatus.PENDING_PAYMENT)


def test_event_detail_carries_data_and_metadata_with_subclass_fields() -> None:
    order = make_order()
    event = make_event(OrderReceived(order=order), correlation_id=order.order_key, channel="douyin")
    detail = json.loads(event.detail_json())
    assert event.source() == "omnihub.connector.douyin"
    assert event.detail_type == "OrderReceived"
    assert detail["data"]["order"]["channel_order_id"] == "4900000000000000001"
    assert detail["metadata"]["correlation_id"] == order.order_key


def test_exported_json_schemas_match_the_models() -> None:
    # Given the committed schemas/json files / When the models are exported again / Then nothing differs
    rendered = export.render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in export.SCHEMA_DIR.glob("*.schema.json")}
    assert committed == rendered, "schemas drifted from the models: run `make schemas` and commit the result"
