"""The one encoder/decoder for every payload. Bad input only ever raises SchemaError."""

from __future__ import annotations

from typing import Any, TypeVar, overload

import msgspec

from schemas.errors import SchemaError
from schemas.messages import NOT_UTC, SUPPORTED_VERSIONS, Message

MAX_PAYLOAD_BYTES = 64 * 1024

T = TypeVar("T")


class _Envelope(msgspec.Struct):
    """Just enough to check the version before trusting the rest of the shape."""

    schema_version: int | None = None


_encoder = msgspec.json.Encoder()
_envelope_decoder = msgspec.json.Decoder(_Envelope)
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder_for(type_: Any) -> msgspec.json.Decoder[Any]:
    decoder = _decoders.get(type_)
    if decoder is None:
        decoder = _decoders[type_] = msgspec.json.Decoder(type_)
    return decoder


def _classify(error: msgspec.ValidationError) -> SchemaError:
    text = str(error)
    if "missing required field" in text:
        return SchemaError("missing_field", text)
    if NOT_UTC in text:
        return SchemaError("not_utc", text)
    # "Expected `int`, got `str`" is a type error; "Expected `float` <= 100.0" a bad value.
    if ", got `" in text or "Invalid value" in text or "Invalid enum" in text:
        return SchemaError("wrong_type", text)
    return SchemaError("invalid_value", text)


def encode(message: Any) -> bytes:
    """Serialise a message (or any contract Struct) to compact JSON bytes."""
    try:
        data = _encoder.encode(message)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SchemaError("unencodable", str(exc)) from exc
    if len(data) > MAX_PAYLOAD_BYTES:
        raise SchemaError("too_large", f"{len(data)} bytes > {MAX_PAYLOAD_BYTES}")
    return data


@overload
def decode(data: Any) -> Message: ...
@overload
def decode(data: Any, type_: type[T]) -> T: ...
def decode(data: Any, type_: Any = Message) -> Any:
    """Parse and validate a payload; raise SchemaError saying what was wrong."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SchemaError("wrong_type", f"payload must be bytes, not {type(data).__name__}")
    size = len(data)
    if size > MAX_PAYLOAD_BYTES:
        raise SchemaError("too_large", f"{size} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        envelope = _envelope_decoder.decode(data)
        if envelope.schema_version is None:
            raise SchemaError("missing_field", "Object missing required field `schema_version`")
        if envelope.schema_version not in SUPPORTED_VERSIONS:
            raise SchemaError(
                "unknown_version",
                f"schema_version {envelope.schema_version} is not one of "
                f"{sorted(SUPPORTED_VERSIONS)}",
            )
        return _decoder_for(type_).decode(data)
    except SchemaError:
        raise
    except msgspec.ValidationError as exc:
        raise _classify(exc) from exc
    except msgspec.DecodeError as exc:
        raise SchemaError("invalid_json", str(exc)) from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise SchemaError("invalid_value", str(exc)) from exc
