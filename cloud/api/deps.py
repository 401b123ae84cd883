"""Names handlers ask for: each alias marks a parameter as injected by its name.

``principal`` is the verified caller; the services and clients are built once at
start-up (:mod:`cloud.api.resources`).
"""

from __future__ import annotations

from litestar.di import NamedDependency

from cloud.api.analytics.services import AnalyticsService
from cloud.api.auth.tokens import Principal
from cloud.api.db import Database, RedisClient
from cloud.api.devices.services import DeviceService
from cloud.api.firmware.services import FirmwareService
from cloud.api.hot import HotReads
from cloud.api.locations.services import LocationService

Caller = NamedDependency[Principal]
Devices = NamedDependency[DeviceService]
Locations = NamedDependency[LocationService]
Analytics = NamedDependency[AnalyticsService]
Firmware = NamedDependency[FirmwareService]
Db = NamedDependency[Database]
Redis = NamedDependency[RedisClient]
Hot = NamedDependency[HotReads]
