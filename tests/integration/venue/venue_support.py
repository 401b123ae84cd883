"""Helpers for the venue/bridge integration tests: users, clients, raw MQTT packets."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from broker.mqtt_client import AsyncMqttClient, MqttSettings, Received, Will
from broker.venue.passwords import format_password_file, hash_password
from broker.venue.server import VenueBroker
from broker.venue.settings import VenueSettings

TENANT, LOCATION = "acme", "bar-1"
PASSWORDS = {"tv-1": "pw-one", "tv-2": "pw-two", "coordinator": "pw-coord"}


def write_passwords(path: Path, users: dict[str, str] = PASSWORDS) -> Path:
    path.write_text(
        format_password_file(
            {name: hash_password(pw, iterations=1000) for name, pw in users.items()}
        )
    )
    return path


@contextlib.asynccontextmanager
async def venue(
    tmp_path: Path, *, dev: bool = False, max_offline_messages: int = 10_000
) -> AsyncIterator[VenueBroker]:
    settings = VenueSettings(
        tenant=TENANT,
        location=LOCATION,
        host="127.0.0.1",
        port=0,
        dev=dev,
        password_file=None if dev else str(write_passwords(tmp_path / "venue.passwd")),
        max_offline_messages=max_offline_messages,
    )
    async with VenueBroker(settings) as broker:
        yield broker


class Inbox:
    """Collects received messages (from paho's thread) and lets the test wait for them."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()

    def __call__(self, message: Received) -> None:
        with self._lock:
            self.messages.append(message)

    def topics(self) -> list[str]:
        with self._lock:
            return [m.topic for m in self.messages]

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"got {len(self.messages)} of {count} messages")
            await asyncio.sleep(0.02)


def client(
    port: int,
    user: str | None,
    *,
    client_id: str,
    password: str | None = None,
    inbox: Inbox | None = None,
    clean_session: bool = True,
    will: Will | None = None,
    manual_ack: bool = False,
    keepalive: int = 30,
) -> AsyncMqttClient:
    pw = password if password is not None else PASSWORDS.get(user or "")
    settings = MqttSettings(
        host="127.0.0.1",
        port=port,
        client_id=client_id,
        username=user,
        password=pw,
        clean_session=clean_session,
        will=will,
        keepalive=keepalive,
    )
    return AsyncMqttClient(settings, inbox, manual_ack=manual_ack)


# ---------------------------------------------------------------- raw MQTT 3.1.1 packets


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def _packet(first: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            return bytes([first]) + bytes(encoded) + body


def connect_packet(
    client_id: str,
    user: str,
    password: str,
    *,
    clean: bool = False,
    keepalive: int = 60,
    will: tuple[str, bytes] | None = None,
) -> bytes:
    flags = 0xC0 | (0x02 if clean else 0)
    payload = _string(client_id)
    if will is not None:
        flags |= 0x04 | (1 << 3)  # will flag, will QoS 1
        payload += _string(will[0]) + _string(will[1])
    payload += _string(user) + _string(password)
    return _packet(
        0x10, _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    )


def publish_packet(topic: str, payload: bytes, qos: int, pid: int, dup: bool = False) -> bytes:
    first = 0x30 | (qos << 1) | (0x08 if dup else 0)
    return _packet(first, _string(topic) + struct.pack("!H", pid) + payload)


def pubrel_packet(pid: int) -> bytes:
    return _packet(0x62, struct.pack("!H", pid))


async def read_packet(reader: asyncio.StreamReader, within: float = 5.0) -> tuple[int, bytes]:
    """(packet type nibble << 4 | flags, body) of the next packet."""
    first = (await asyncio.wait_for(reader.readexactly(1), within))[0]
    length, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return first, await reader.readexactly(length)


async def raw_connect(
    port: int, packet: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """Open a socket, send CONNECT, return the CONNACK return code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(packet)
    await writer.drain()
    first, body = await read_packet(reader)
    assert first == 0x20, hex(first)
    return reader, writer, body[1]
