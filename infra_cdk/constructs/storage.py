"""Tables and the raw-payload archive, key schemas exactly as docs/architecture.md."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.config import HubConfig
from infra_cdk.naming import pin_logical_id

PK = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
SK = dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING)
IDEMPOTENCY_KEY = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
IDEMPOTENCY_TTL = "expiration"


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: HubConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.orders = self._table("OrdersTable", PK, SK, ttl=IDEMPOTENCY_TTL)  # risk facts and review queue expire
        self.inventory = self._table("InventoryTable", PK, SK)
        self.checkpoints = self._table("CheckpointsTable", PK)
        self.idempotency = self._table("IdempotencyTable", IDEMPOTENCY_KEY, ttl=IDEMPOTENCY_TTL)
        self.raw_key = self._raw_key()
        self.raw_bucket = self._raw_bucket()

    def _table(
        self,
        logical_id: str,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        *,
        ttl: str | None = None,
    ) -> dynamodb.TableV2:
        table = dynamodb.TableV2(
            self,
            logical_id,
            partition_key=partition_key,
            sort_key=sort_key,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=self._config.deletion_protection,
            time_to_live_attribute=ttl,
            removal_policy=RemovalPolicy.RETAIN,
        )
        pin_logical_id(table, logical_id)
        return table

    def _raw_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "RawBucketKey",
            description="OmniHub raw platform payloads (they carry encrypted personal data)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        pin_logical_id(key, "RawBucketKey")
        return key

    def _raw_bucket(self) -> s3.Bucket:
        access_logs = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 server access logging cannot deliver to SSE-KMS
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(400))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        pin_logical_id(access_logs, "AccessLogsBucket")
        bucket = s3.Bucket(
            self,
            "RawBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.raw_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="raw-payloads/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="archive-then-expire",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=Duration.days(90),
                        )
                    ],
                    expiration=Duration.days(self._config.raw_retention_days),
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        pin_logical_id(bucket, "RawBucket")
        return bucket
