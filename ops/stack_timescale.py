"""TimescaleDB test server: PGlite + TimescaleDB behind pglite-socket (node), stdlib only.

npm packages are installed from ops/timescale/package.json into a cache outside the repo
(~/.cache/adwatch/timescale-DIGEST) and server.mjs is copied next to them. Data lives in
run/timescale/data, so a restart keeps it. One client connection at a time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from stack_procs import Launch, run_quiet, say
from stack_services import HOST, PG_BIN, STACK_ENV, TIMESCALE_PORT, Layout, Service, StackError

_DEPS = ("package.json", "package-lock.json")


def _src(lay: Layout) -> Path:
    return lay.root / "ops" / "timescale"


def _home(lay: Layout) -> Path:
    digest = hashlib.sha256()
    for name in _DEPS:
        path = _src(lay) / name
        if path.exists():
            digest.update(path.read_bytes())
    return lay.cache / f"timescale-{digest.hexdigest()[:16]}"


def _missing(_: Layout) -> str | None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


def _npm_install(lay: Layout) -> None:
    home = _home(lay)
    if (home / ".complete").exists():
        return
    tmp = home.with_name(f"{home.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in _DEPS:
        if (_src(lay) / name).exists():
            shutil.copyfile(_src(lay) / name, tmp / name)
    verb = "ci" if (tmp / "package-lock.json").exists() else "install"
    say(f"timescale: npm {verb} (pglite + timescaledb) into {home} ...")
    res = run_quiet(
        ["npm", verb, "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel=error"],
        900,
        cwd=str(tmp),
    )
    if res.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StackError(f"npm {verb} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    (tmp / ".complete").write_text("ok\n")
    try:
        tmp.rename(home)
    except OSError:  # another checkout installed the same digest meanwhile
        shutil.rmtree(tmp, ignore_errors=True)


def _prepare(lay: Layout) -> None:
    _npm_install(lay)
    server = _home(lay) / "server.mjs"
    tmp = server.with_name(f"server.mjs.{os.getpid()}")
    shutil.copyfile(_src(lay) / "server.mjs", tmp)
    tmp.replace(server)  # node resolves imports next to the script, i.e. in the cache
    lay.data("timescale").mkdir(parents=True, exist_ok=True)


def _launch(lay: Layout) -> Launch:
    argv = [
        "node",
        str(_home(lay) / "server.mjs"),
        "--host",
        HOST,
        "--port",
        str(TIMESCALE_PORT),
        "--data",
        str(lay.data("timescale") / "data"),
    ]
    return Launch(argv, lay.data("timescale"))


def _probe(_: Layout) -> str | None:
    sql = "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
    res = run_quiet(
        [str(PG_BIN / "psql"), STACK_ENV["ADWATCH_TIMESCALE_DSN"], "-X", "-At", "-c", sql],
        15,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    if res.returncode == 0 and res.stdout.strip():
        return None
    return f"psql: {res.stderr.strip() or res.stdout.strip()}"


TIMESCALE = Service(
    "timescale",
    (TIMESCALE_PORT,),
    _prepare,
    _launch,
    _probe,
    missing=_missing,
    start_timeout=240,
    stop_timeout=20,
    env_keys=("ADWATCH_TIMESCALE_DSN",),
)
