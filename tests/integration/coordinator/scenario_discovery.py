"""Discovery scenario: adverts in child processes, a browser in this one.

Prints one JSON result as its last stdout line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

from edge.discovery import BrokerAdvert, BrokerBrowser, BrokerEndpoint

IFACES = ["127.0.0.1"]


def short(ep: BrokerEndpoint | None) -> dict[str, int] | None:
    return None if ep is None else {"term": ep.term, "port": ep.port}


def spawn(tenant: str, location: str, term: int, hold_s: float) -> subprocess.Popen[bytes]:
    code = "advertise", tenant, location, str(term), str(hold_s)
    return subprocess.Popen([sys.executable, "-m", _MODULE, *code])


_MODULE = "tests.integration.coordinator.scenario_discovery"


async def advertise(tenant: str, location: str, term: int, hold_s: float) -> None:
    async with BrokerAdvert(
        tenant, location, "127.0.0.1", 40000 + term, term, "1", interfaces=IFACES, node=f"n{term}"
    ):
        await asyncio.sleep(hold_s)


async def browse() -> dict[str, Any]:
    here, elsewhere = f"bar-{os.getpid()}", f"other-{os.getpid()}"
    procs = [spawn("acme", here, 4, 30), spawn("acme", elsewhere, 9, 30)]
    try:
        async with BrokerBrowser("acme", here, interfaces=IFACES) as b:
            changes = b.changes()
            first = await asyncio.wait_for(anext(changes), 20)
            newer = spawn("acme", here, 7, 4)
            procs.append(newer)
            changed = await asyncio.wait_for(anext(changes), 20)
            newer.wait(30)  # exits after 4 s, sending goodbye
            after = await asyncio.wait_for(anext(changes), 20)
            return {
                "first": short(first),
                "changed_to": short(changed),
                "after_goodbye": short(after),
                "other_venue_seen": any(ep.location != here for ep in b.endpoints()),
            }
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    if sys.argv[1:2] == ["advertise"]:
        t, loc, term, hold = sys.argv[2:6]
        asyncio.run(advertise(t, loc, int(term), float(hold)))
    else:
        print(json.dumps(asyncio.run(browse())))
