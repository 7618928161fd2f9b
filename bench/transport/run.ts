/**
 * `npm run bench:transport`: do the center's own transport lanes matter? Each against the library
 * it replaces, in one run on one machine:
 *
 * - HTTP: a plain POST answered by the center's runner (GRAPHQL_HTTP_LANE=center,
 *   src/graphql/http-operations.ts) against Apollo's pipeline (GRAPHQL_HTTP_LANE=apollo);
 * - WebSocket: the center's graphql-ws transport (GRAPHQL_WS_LANE=center,
 *   src/graphql/ws-transport.ts) against graphql-ws's own `useServer` (GRAPHQL_WS_LANE=library).
 *
 * Two centers run side by side on SQLite with the demo catalog, one with the center's lanes and one
 * with the libraries', in production configuration; everything else about them is the same. Each
 * lane is measured with two operations: a small authenticated query (`me`) and a quote (the
 * frontends' hot call). A measurement is N clients, each sending a fixed number of requests one
 * after the other (over HTTP with keep-alive, or over its own socket); the rounds alternate which
 * lane goes first, so that what else runs on the machine hits both. Prints requests/s, p50, p99 and
 * the server's CPU per request for each lane over all rounds, and the ratio center/library, with
 * the range of the per-round ratios.
 *
 * Figures, not tests: the exit code is 0 unless it cannot measure at all (a center does not start,
 * login fails, an operation does not answer as expected when each is checked once before the load).
 *
 * Flags: --clients N (16)  --requests N (per client per measurement, 300)  --rounds N (4)
 *        --warmup N (requests per client before the rounds, 150)  --keep (keep the temp dir)
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { cpuSeconds, fmt, login, machineLine, percentile, progress, startCenter, stopAll, table, type Child } from "../common";

const ME = "query Me { me { id login role } }";
const QUOTE = `query Quote($input: OrderInput!) {
  quote(input: $input) {
    errors { code message field }
    quote {
      shopId currency priceDate total
      subOrders {
        serviceId templateId sheets subtotal
        lines { productId source priceRowId basicCharge amountCharge sheets subtotal }
        imageFees { imageId feePerSheet sheets subtotal }
      }
    }
  }
}`;
/** An order of the demo catalog (fixtures/demo-catalog.json): two sub-orders, a charged image. */
const ORDER = {
  shopId: "SP01",
  subOrders: [
    { serviceId: "SV01", sheets: 5, items: [{ imageId: "IMG-C01" }, { imageId: "my-own-photo" }] },
    { serviceId: "SV02", sheets: 10, items: [{ imageId: "my-own-photo" }] },
  ],
};

interface Operation {
  name: "me" | "quote";
  payload: { query: string; variables?: Record<string, unknown>; operationName: string };
  /** Null when the result is the expected one, else why not. */
  check(result: { data?: Record<string, unknown> | null; errors?: unknown[] }): string | null;
}

const OPERATIONS: Operation[] = [
  {
    name: "me",
    payload: { query: ME, operationName: "Me" },
    check: (r) => (!r.errors && (r.data?.me as { login?: string } | null)?.login === "customer" ? null : JSON.stringify(r).slice(0, 300)),
  },
  {
    name: "quote",
    payload: { query: QUOTE, variables: { input: ORDER }, operationName: "Quote" },
    check: (r) => {
      const q = r.data?.quote as { errors: unknown[]; quote: { total: number } | null } | undefined;
      return !r.errors && q && q.errors.length === 0 && typeof q.quote?.total === "number" ? null : JSON.stringify(r).slice(0, 300);
    },
  },
];

type Transport = "http" | "ws";
type Lane = "center" | "library";

interface Options {
  clients: number;
  requests: number;
  rounds: number;
  warmup: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 16, requests: 300, rounds: 4, warmup: 150, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const num = (): number => {
      const v = inline ?? argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number, got ${String(v)}`);
      return n;
    };
    switch (flag) {
      case "--clients":
        o.clients = Math.max(1, num());
        break;
      case "--requests":
        o.requests = Math.max(1, num());
        break;
      case "--rounds":
        o.rounds = Math.max(1, num());
        break;
      case "--warmup":
        o.warmup = num();
        break;
      case "--keep":
        o.keep = true;
        break;
      default:
        throw new Error(`unknown flag ${argv[i]}`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------
// Clients: the same code drives both lanes of a transport
// ---------------------------------------------------------------------------

interface Target {
  url: string;
  token: string;
  pid: number;
}

/** Sends one operation; resolves with null when the answer is the expected one, else why not. */
type Send = (op: Operation) => Promise<string | null>;

interface Session {
  send: Send;
  close(): Promise<void>;
}

function httpSession(t: Target, agent: http.Agent): Session {
  const url = new URL("/graphql", t.url);
  return {
    send: (op) =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify(op.payload);
        const req = http.request(
          url,
          {
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${t.token}` },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              if (res.statusCode !== 200) resolve(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
              else resolve(op.check(JSON.parse(text)));
            });
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
    close: async () => {},
  };
}

/** One graphql-ws socket (the protocol by hand, so that the client costs the same for both lanes). */
async function wsSession(t: Target): Promise<Session> {
  const socket = new WebSocket(t.url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws");
  const waiting = new Map<string, { resolve(why: string | null): void; op: Operation; why: string | null }>();
  let acked: () => void;
  let failed: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    acked = resolve;
    failed = reject;
  });
  socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${t.token}` } })));
  socket.on("message", (raw: Buffer) => {
    const m = JSON.parse(raw.toString("utf8")) as { type: string; id?: string; payload?: unknown };
    if (m.type === "connection_ack") return acked();
    if (m.type === "ping") return socket.send(JSON.stringify({ type: "pong" }));
    const w = m.id === undefined ? undefined : waiting.get(m.id);
    if (!w) return;
    if (m.type === "next") w.why ??= w.op.check(m.payload as Parameters<Operation["check"]>[0]);
    else if (m.type === "error") w.why ??= `error: ${JSON.stringify(m.payload).slice(0, 300)}`;
    if (m.type === "complete" || m.type === "error") {
      waiting.delete(m.id!);
      w.resolve(w.why);
    }
  });
  socket.on("close", (code, reason) => {
    const e = new Error(`socket closed: ${code} ${reason.toString()}`);
    failed(e);
    for (const w of waiting.values()) w.resolve(e.message);
    waiting.clear();
  });
  socket.on("error", (e) => failed(e));
  await ready;
  let next = 0;
  return {
    send: (op) =>
      new Promise((resolve) => {
        const id = String(++next);
        waiting.set(id, { resolve, op, why: null });
        socket.send(JSON.stringify({ id, type: "subscribe", payload: op.payload }));
      }),
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once("close", () => resolve());
        socket.close(1000);
      }),
  };
}

// ---------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------

interface Sample {
  requests: number;
  seconds: number;
  cpuSeconds: number | null;
  latencies: number[];
  failed: number;
  firstFailure: string | null;
}

/** N clients, each sending `requests` operations one after the other; sockets open before the clock starts. */
async function run(t: Target, transport: Transport, op: Operation, clients: number, requests: number): Promise<Sample> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const sessions =
    transport === "http"
      ? Array.from({ length: clients }, () => httpSession(t, agent))
      : await Promise.all(Array.from({ length: clients }, () => wsSession(t)));
  const latencies: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const cpuBefore = cpuSeconds(t.pid);
  const started = performance.now();
  await Promise.all(
    sessions.map(async (s) => {
      for (let i = 0; i < requests; i++) {
        const sent = performance.now();
        const why = await s.send(op);
        latencies.push(performance.now() - sent);
        if (why !== null) {
          failed++;
          firstFailure ??= why;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(t.pid);
  await Promise.all(sessions.map((s) => s.close()));
  agent.destroy();
  return {
    requests: clients * requests,
    seconds,
    cpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
    latencies,
    failed,
    firstFailure,
  };
}

interface Figures {
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number | null;
  failed: number;
  firstFailure: string | null;
}

function figures(samples: Sample[]): Figures {
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const seconds = samples.reduce((n, s) => n + s.seconds, 0);
  const sorted = Float64Array.from(samples.flatMap((s) => s.latencies)).sort();
  const cpu = samples.every((s) => s.cpuSeconds !== null) ? samples.reduce((n, s) => n + s.cpuSeconds!, 0) : null;
  return {
    reqPerSec: requests / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    cpuMsPerRequest: cpu === null ? null : (cpu * 1000) / requests,
    failed: samples.reduce((n, s) => n + s.failed, 0),
    firstFailure: samples.find((s) => s.firstFailure !== null)?.firstFailure ?? null,
  };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

const LANE_NAMES: Record<Transport, Record<Lane, string>> = {
  http: { center: "center (http-operations.ts)", library: "Apollo's pipeline" },
  ws: { center: "center (ws-transport.ts)", library: "graphql-ws useServer" },
};

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  process.stdout.write(`${machineLine("this runner's clients")}\n`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-bench-transport-"));
  const started = Date.now();
  const centers: Child[] = [];
  try {
    const targets = {} as Record<Lane, Target>;
    for (const lane of ["center", "library"] as const) {
      progress(`starting the center with the ${lane} lanes (SQLite, demo catalog)`);
      const c = await startCenter({
        databaseUrl: `sqlite:${path.join(tmp, `${lane}.sqlite`)}`,
        dataDir: path.join(tmp, `data-${lane}`),
        label: `${lane}-lanes`,
        env: {
          DEMO_DATA: "1",
          GRAPHQL_HTTP_LANE: lane === "center" ? "center" : "apollo",
          GRAPHQL_WS_LANE: lane,
          // Every client logs in as the same customer: one socket each.
          WS_MAX_SOCKETS_PER_CREDENTIAL: String(Math.max(10, opts.clients * 2)),
        },
      });
      centers.push(c.child);
      targets[lane] = { url: c.url, token: await login(c.url, "customer", "customer-pass"), pid: c.child.proc.pid! };
    }

    // Each operation once per lane and transport: a lane that does not answer as expected is not measured.
    const combos: Array<[Transport, Operation]> = [];
    for (const op of OPERATIONS) for (const transport of ["http", "ws"] as const) combos.push([transport, op]);
    for (const [transport, op] of combos) {
      for (const lane of ["center", "library"] as const) {
        const s = await run(targets[lane], transport, op, 1, 1);
        if (s.failed > 0) throw new Error(`${op.name} over ${transport}, ${lane} lane: ${s.firstFailure}`);
      }
    }
    if (opts.warmup > 0) {
      progress(`warming up: ${opts.clients} clients x ${opts.warmup} requests per operation and lane`);
      for (const [transport, op] of combos)
        for (const lane of ["center", "library"] as const) await run(targets[lane], transport, op, opts.clients, opts.warmup);
    }

    const samples = new Map<string, Sample[]>();
    const key = (transport: Transport, op: Operation, lane: Lane): string => `${transport}/${op.name}/${lane}`;
    for (let round = 0; round < opts.rounds; round++) {
      const order: Lane[] = round % 2 === 0 ? ["center", "library"] : ["library", "center"];
      for (const [transport, op] of combos) {
        for (const lane of order) {
          const s = await run(targets[lane], transport, op, opts.clients, opts.requests);
          const list = samples.get(key(transport, op, lane)) ?? [];
          list.push(s);
          samples.set(key(transport, op, lane), list);
        }
        const c = samples.get(key(transport, op, "center"))!.at(-1)!;
        const l = samples.get(key(transport, op, "library"))!.at(-1)!;
        progress(
          `round ${round + 1}/${opts.rounds} ${transport} ${op.name}: center ${fmt(c.requests / c.seconds, 0)} req/s, library ${fmt(l.requests / l.seconds, 0)} req/s (load ${fmt(os.loadavg()[0], 2)})`,
        );
      }
    }

    const out: string[] = [
      "",
      `Transport lanes: ${opts.clients} clients x ${opts.requests} requests each, ${opts.rounds} rounds alternating which lane goes first; SQLite, demo catalog, production configuration`,
    ];
    const rows: string[][] = [["", "lane", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "failed"]];
    const ratios: string[] = [];
    let anyFailed = false;
    for (const [transport, op] of combos) {
      const f = {} as Record<Lane, Figures>;
      for (const lane of ["center", "library"] as const) {
        f[lane] = figures(samples.get(key(transport, op, lane))!);
        anyFailed ||= f[lane].failed > 0;
        rows.push([
          `${transport} ${op.name}`,
          LANE_NAMES[transport][lane],
          fmt(f[lane].reqPerSec, 0),
          fmt(f[lane].p50, 2),
          fmt(f[lane].p99, 2),
          fmt(f[lane].cpuMsPerRequest, 3),
          String(f[lane].failed),
        ]);
      }
      const perRound = samples.get(key(transport, op, "center"))!.map((c, i) => {
        const l = samples.get(key(transport, op, "library"))![i];
        return c.requests / c.seconds / (l.requests / l.seconds);
      });
      const cpu = f.center.cpuMsPerRequest !== null && f.library.cpuMsPerRequest !== null ? f.library.cpuMsPerRequest / f.center.cpuMsPerRequest : null;
      ratios.push(
        `  ${`${transport} ${op.name}`.padEnd(10)} center/library req/s ${fmt(f.center.reqPerSec / f.library.reqPerSec, 2)}x ` +
          `(rounds ${fmt(Math.min(...perRound), 2)} to ${fmt(Math.max(...perRound), 2)}), p99 ${fmt(f.center.p99 / f.library.p99, 2)}x, ` +
          `server CPU per request library/center ${fmt(cpu, 2)}x`,
      );
      for (const lane of ["center", "library"] as const) {
        if (f[lane].firstFailure !== null) ratios.push(`    ${lane} lane failures, the first: ${f[lane].firstFailure}`);
      }
    }
    out.push(table(rows), "", "Ratios (above 1: the center's lane is faster)", ...ratios);
    if (os.loadavg()[0] > 2.5) {
      out.push(
        "",
        `NOTE: load average ${fmt(os.loadavg()[0], 2)} on ${os.cpus().length} cores: other work shared the machine; compare the ratios, not the absolute figures.`,
      );
    }
    process.stdout.write(out.join("\n") + "\n");
    process.stdout.write(`(total ${fmt((Date.now() - started) / 1000, 0)} s)\n`);
    if (anyFailed) process.stdout.write("WARNING: some requests failed during the timed runs (see above)\n");
    return 0;
  } finally {
    await stopAll();
    if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
    else progress(`kept ${tmp}`);
  }
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    progress(`${signal}: stopping the centers`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    await stopAll();
    process.exit(1);
  },
);
