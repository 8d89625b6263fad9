"""Archive of the platforms' original bytes in S3, content-addressed so a repeated delivery is one object."""

import hashlib
from datetime import datetime

from hubcore.aws import client
from hubcore.settings import settings
from schemas.order import RawPayloadRef


class S3RawArchive:
    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket or settings().raw_bucket

    def put(self, channel: str, body: bytes, received_at: datetime, *, kind: str = "webhook") -> RawPayloadRef:
        digest = hashlib.sha256(body).hexdigest()
        key = f"{channel}/{kind}/{received_at:%Y/%m/%d}/{digest}.json"
        client("s3").put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        return RawPayloadRef(bucket=self._bucket, key=key, sha256=digest)
