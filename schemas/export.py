"""Export the canonical models as JSON Schema files (`python -m schemas.export`)."""

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas.events import ALL_EVENT_TYPES, EventMetadata
from schemas.order import Order

SCHEMA_DIR = Path(__file__).parent / "json"


def _envelope_schema(data_model: type[BaseModel]) -> dict[str, object]:
    """The EventBridge `detail` of one event type: {data, metadata}."""
    data_schema = data_model.model_json_schema(ref_template="#/$defs/{model}")
    defs = data_schema.pop("$defs", {})
    meta_schema = EventMetadata.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(meta_schema.pop("$defs", {}))
    defs[data_model.__name__] = data_schema
    defs["EventMetadata"] = meta_schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{data_model.__name__} event detail",
        "type": "object",
        "properties": {
            "data": {"$ref": f"#/$defs/{data_model.__name__}"},
            "metadata": {"$ref": "#/$defs/EventMetadata"},
        },
        "required": ["data", "metadata"],
        "$defs": defs,
    }


def _dump(schema: dict[str, object]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def render_all() -> dict[str, str]:
    files: dict[str, str] = {}
    order_schema: dict[str, object] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    order_schema.update(Order.model_json_schema())
    files["Order.schema.json"] = _dump(order_schema)
    for event_type in ALL_EVENT_TYPES:
        schema = _envelope_schema(event_type)
        files[f"{event_type.__name__}.schema.json"] = (
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
    return files


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for stale in SCHEMA_DIR.glob("*.schema.json"):
        stale.unlink()
    for name, text in render_all().items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(render_all())} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
