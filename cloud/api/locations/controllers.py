"""``/api/v1/locations``: the tenant's venues and a live summary of one."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from cloud.api.deps import Caller, Locations
from cloud.api.locations.schemas import LocationPage, LocationSummary
from cloud.api.openapi import AUTHED, AUTHED_ONE
from cloud.api.params import ID_PATTERN


class LocationController(Controller):
    path = "/api/v1/locations"
    tags = ["locations"]

    @get("/", operation_id="listLocations", responses=AUTHED, summary="List locations")
    async def list_locations(
        self,
        principal: Caller,
        locations: Locations,
        cursor: Annotated[
            str | None, Parameter(max_length=512, description="From next_cursor")
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> LocationPage:
        return await locations.list(principal.tenant, cursor, limit)

    @get(
        "/{location_id:str}/summary",
        operation_id="getLocationSummary",
        responses=AUTHED_ONE,
        summary="Devices online, ad minutes today and the last break at one location",
    )
    async def get_summary(
        self,
        principal: Caller,
        locations: Locations,
        location_id: Annotated[str, Parameter(pattern=ID_PATTERN, max_length=63)],
    ) -> LocationSummary:
        return await locations.summary(principal.tenant, location_id)
