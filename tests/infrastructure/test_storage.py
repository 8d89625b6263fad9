"""Tables and the raw-payload bucket match docs/architecture.md."""

import pytest

from tests.infrastructure.conftest import Synth, ref_id

pytestmark = pytest.mark.xdist_group("cdk")

KEYS = {
    "OrdersTable": [("pk", "HASH"), ("sk", "RANGE")],
    "InventoryTable": [("pk", "HASH"), ("sk", "RANGE")],
    "CheckpointsTable": [("pk", "HASH")],
    "IdempotencyTable": [("id", "HASH")],
}


def test_four_tables_with_the_documented_key_schemas(synth: Synth) -> None:
    # Given the synthesized template / When the tables are read
    tables = synth.of_type("AWS::DynamoDB::GlobalTable")
    # Then exactly the four documented tables exist, keys as in docs/architecture.md, all strings
    assert sorted(tables) == sorted(KEYS)
    for logical_id, keys in KEYS.items():
        props = tables[logical_id]["Properties"]
        assert [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]] == keys
        assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {
            name: "S" for name, _ in keys
        }


@pytest.mark.parametrize("logical_id", sorted(KEYS))
def test_tables_are_on_demand_with_pitr_and_deletion_protection(synth: Synth, logical_id: str) -> None:
    props = synth.resources[logical_id]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["DeletionProtectionEnabled"] is True
    assert synth.resources[logical_id]["DeletionPolicy"] == "Retain"


def test_idempotency_table_expires_records_by_ttl_attribute_expiration(synth: Synth) -> None:
    props = synth.resources["IdempotencyTable"]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_raw_bucket_is_kms_encrypted_private_versioned_and_expires(synth: Synth) -> None:
    props = synth.resources["RawBucket"]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert ref_id(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "RawBucketKey"
    assert synth.resources["RawBucketKey"]["Properties"]["EnableKeyRotation"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (lifecycle,) = props["LifecycleConfiguration"]["Rules"]
    assert lifecycle["ExpirationInDays"] > 0 and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert ref_id(props["LoggingConfiguration"]["DestinationBucketName"]) == "AccessLogsBucket"


def test_raw_bucket_refuses_requests_without_tls(synth: Synth) -> None:
    (policy,) = [
        p for p in synth.of_type("AWS::S3::BucketPolicy").values() if ref_id(p["Properties"]["Bucket"]) == "RawBucket"
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_event_bus_has_an_archive(synth: Synth) -> None:
    archive = synth.resources["EventBusArchive"]["Properties"]
    assert ref_id(archive["SourceArn"]) == "EventBus"
    assert archive["RetentionDays"] > 0
