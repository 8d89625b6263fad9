import json
import logging

from hubcore.naming import MAX_EXECUTION_NAME, execution_name
from hubcore.observability import MASK, logger, mask_pii


def test_personal_fields_are_masked_at_any_depth_and_region_stays() -> None:
    record = {
        "order": {"receiver": {"name_cipher": "#x#", "phone_masked": "138****0000", "province": "浙江省"}},
        "lines": [{"tel": "13800000000"}],
    }
    masked = mask_pii(record)
    assert masked["order"]["receiver"] == {"name_cipher": MASK, "phone_masked": MASK, "province": "浙江省"}
    assert masked["lines"] == [{"tel": MASK}]


def test_the_logger_never_writes_a_phone_number(capsys: object) -> None:
    stream_handler = logger.registered_handler
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    capture = Capture()
    capture.setFormatter(stream_handler.formatter)
    logger.addHandler(capture)
    try:
        logger.info("receiver updated", receiver={"phone": "13800001111", "city": "杭州市"})
    finally:
        logger.removeHandler(capture)
    written = json.loads(records[-1])
    assert "13800001111" not in records[-1]
    assert written["receiver"] == {"phone": MASK, "city": "杭州市"}


def test_execution_names_are_stable_valid_and_distinct() -> None:
    key = "tmall:shop-1:" + "9" * 120
    name = execution_name(key)
    assert name == execution_name(key)
    assert len(name) <= MAX_EXECUTION_NAME
    assert all(c.isalnum() or c in "-_" for c in name)
    assert execution_name("douyin:1:2") != execution_name("douyin:1_2")
