"""``/api/v1/analytics``: aggregated ad breaks of the tenant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import Parameter

from cloud.api.analytics.schemas import AdBreakStats, GroupBy
from cloud.api.deps import Analytics, Caller
from cloud.api.openapi import AUTHED
from cloud.api.params import ID_PATTERN, window
from schemas.ids import utc_now


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]

    @get(
        "/ad-breaks",
        operation_id="getAdBreakStats",
        responses=AUTHED,
        summary="Ad breaks and ad minutes per hour, location or channel (default: last 24 h)",
    )
    async def ad_breaks(
        self,
        principal: Caller,
        analytics: Analytics,
        group_by: GroupBy = "hour",
        start: Annotated[datetime | None, Parameter(query="from")] = None,
        end: Annotated[datetime | None, Parameter(query="to")] = None,
        location: Annotated[str | None, Parameter(pattern=ID_PATTERN, max_length=63)] = None,
    ) -> Response[AdBreakStats]:
        win = window(start, end, utc_now(), timedelta(hours=24))
        body = await analytics.ad_breaks(principal.tenant, group_by, win, location)
        return body.response()
