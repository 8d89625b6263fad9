"""The sample bus events in events/bus are real contracts: one per event type, each valid against its model."""

import json
from pathlib import Path

import pytest

from schemas.events import ALL_EVENT_TYPES, EventMetadata

SAMPLES = Path(__file__).resolve().parents[3] / "events" / "bus"
BY_NAME = {event_type.__name__: event_type for event_type in ALL_EVENT_TYPES}


def test_every_event_type_has_a_sample() -> None:
    assert {p.stem for p in SAMPLES.glob("*.json")} == set(BY_NAME)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_sample_detail_validates_against_its_model(path: Path) -> None:
    envelope = json.loads(path.read_text(encoding="utf-8"))
    model = BY_NAME[envelope["detail-type"]]
    data = model.model_validate(envelope["detail"]["data"])
    metadata = EventMetadata.model_validate(envelope["detail"]["metadata"])
    expected_source = (
        f"omnihub.connector.{metadata.channel}"
        if model.source_context == "connector"
        else f"omnihub.{model.source_context}"
    )
    assert envelope["source"] == expected_source
    assert data.model_dump(mode="json") == envelope["detail"]["data"]
