"""adwatch's contract: typed messages, the topic tree, the codec and Kafka names."""

from schemas.codec import MAX_PAYLOAD_BYTES, decode, encode
from schemas.errors import SchemaError
from schemas.ids import new_message_id, utc_now
from schemas.messages import (
    AdBreakEnded,
    AdBreakStarted,
    BreakPolicy,
    Command,
    CommandResult,
    DesiredConfig,
    DeviceStatus,
    FirmwareManifest,
    HealthReport,
    Message,
    OtaState,
    ProvisionRequest,
    ProvisionResponse,
    TelemetryPeriod,
)
from schemas.topics import DeviceTopic, OtaTopic, ProvisionTopic, TopicKind, parse_topic

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "AdBreakEnded",
    "AdBreakStarted",
    "BreakPolicy",
    "Command",
    "CommandResult",
    "DesiredConfig",
    "DeviceStatus",
    "DeviceTopic",
    "FirmwareManifest",
    "HealthReport",
    "Message",
    "OtaState",
    "OtaTopic",
    "ProvisionRequest",
    "ProvisionResponse",
    "ProvisionTopic",
    "SchemaError",
    "TelemetryPeriod",
    "TopicKind",
    "decode",
    "encode",
    "new_message_id",
    "parse_topic",
    "utc_now",
]
