"""``/api/v1/devices``: list, detail, health series and telemetry of one tenant's devices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter

from cloud.api.deps import Caller, Devices
from cloud.api.devices.schemas import (
    Bucket,
    DeviceDetail,
    DevicePage,
    DeviceStatusText,
    HealthSeries,
    TelemetrySeries,
)
from cloud.api.devices.services import DeviceFilter
from cloud.api.openapi import AUTHED, AUTHED_ONE
from cloud.api.params import ID_PATTERN, LABEL_PATTERN, window
from schemas.ids import utc_now

DeviceId = Annotated[str, Parameter(pattern=ID_PATTERN, max_length=63, description="Device id")]
From = Annotated[
    datetime | None, Parameter(query="from", description="Start (inclusive), ISO-8601")
]
To = Annotated[datetime | None, Parameter(query="to", description="End (exclusive), default now")]


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @get("/", operation_id="listDevices", responses=AUTHED, summary="List devices (keyset pages)")
    async def list_devices(
        self,
        principal: Caller,
        devices: Devices,
        location: Annotated[str | None, Parameter(pattern=ID_PATTERN, max_length=63)] = None,
        status: DeviceStatusText | None = None,
        hardware: Annotated[str | None, Parameter(pattern=LABEL_PATTERN, max_length=128)] = None,
        cursor: Annotated[
            str | None, Parameter(max_length=512, description="From next_cursor")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 50,
    ) -> Response[DevicePage]:
        flt = DeviceFilter(
            location=location, status=status, hardware=hardware, cursor=cursor, limit=limit
        )
        return (await devices.list(principal.tenant, flt)).response()

    @get("/{device_id:str}", operation_id="getDevice", responses=AUTHED_ONE, summary="One device")
    async def get_device(
        self, principal: Caller, devices: Devices, device_id: DeviceId
    ) -> DeviceDetail:
        return await devices.get(principal.tenant, device_id, admin=principal.is_admin)

    @get(
        "/{device_id:str}/health",
        operation_id="getDeviceHealth",
        responses=AUTHED_ONE,
        summary="Health aggregated per time bucket (default: last 24 h, 5 min buckets)",
    )
    async def get_health(
        self,
        principal: Caller,
        devices: Devices,
        device_id: DeviceId,
        start: From = None,
        end: To = None,
        bucket: Bucket = "5m",
    ) -> HealthSeries:
        win = window(start, end, utc_now(), timedelta(hours=24))
        return await devices.health(principal.tenant, device_id, win, bucket)

    @get(
        "/{device_id:str}/telemetry",
        operation_id="getDeviceTelemetry",
        responses=AUTHED_ONE,
        summary="Telemetry periods (default: last 24 h)",
    )
    async def get_telemetry(
        self,
        principal: Caller,
        devices: Devices,
        device_id: DeviceId,
        start: From = None,
        end: To = None,
    ) -> TelemetrySeries:
        win = window(start, end, utc_now(), timedelta(hours=24))
        return await devices.telemetry(principal.tenant, device_id, win)
