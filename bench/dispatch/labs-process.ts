/**
 * The simulated labs of `npm run bench:dispatch`, run as a child process of bench/dispatch/run.ts
 * (so that their CPU is not the runner's) and driven over the IPC channel.
 *
 * Each connection is its own graphql-ws client (its own WebSocket) holding a `printJobs`
 * subscription with a lab API key. When there are more connections than keys, connection i uses
 * key i % keys; only the first connection of each lab claims, the others only listen. Claims and
 * completions go over the lab's socket, as the lab daemon sends them while its socket is up, or
 * over HTTP POST with LAB_TRANSPORT=http (the daemon's way while its socket is down).
 *
 * Messages in:  connect {url, keys, count}   - open connections until `count` are open
 *               close {count}                 - close the newest connections until `count` remain
 *               mode {claim: boolean}         - claim and complete jobs as they arrive, or hold them
 *               drain {concurrency}           - claim and complete every held job, then report
 *               stop
 * Messages out: connected {open, failed}, event {jobId, at}, done {jobId, at, ok, error?},
 *               drained {completed, failed, ms}, error {message}
 * `at` is Date-epoch milliseconds with a fractional part (performance.timeOrigin + now()): the
 * runner is on the same machine and reads the same clock.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { CLAIM, COMPLETE, SUBSCRIPTION } from "../../src/lab-daemon/center-client";

interface LabKey {
  labId: string;
  key: string;
}

type Incoming =
  | { type: "connect"; url: string; keys: LabKey[]; count: number }
  | { type: "close"; count: number }
  | { type: "mode"; claim: boolean }
  | { type: "drain"; concurrency: number }
  | { type: "stop" };

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: object): void => {
  process.send?.(m);
};

interface Conn {
  client: Client;
  lab: LabKey;
  claimer: boolean;
  dispose: () => void;
}

const conns: Conn[] = [];
const claimerOf = new Set<string>();
let claimMode = true;
let url = "";
/** Jobs received while not claiming: claimed by `drain`. */
const held: Array<{ jobId: string; lab: LabKey }> = [];
/** Jobs already seen (several connections of one lab get the same event). */
const seen = new Set<string>();

/** The subscription, claims and completions are the lab daemon's own documents, with a claim key as it sends them. */
const claimVars = (jobId: string) => ({ jobId, claimKey: randomBytes(18).toString("base64url") });

const OVER_HTTP = process.env.LAB_TRANSPORT === "http";
/** Each lab key's claiming connection. */
const clientOf = new Map<string, Client>();

async function gql(key: string, query: string, variables: object): Promise<Record<string, unknown>> {
  const ws = OVER_HTTP ? undefined : clientOf.get(key);
  if (ws) {
    // As the daemon's client sends an operation over its socket: subscribe with a sink, under a
    // time-out.
    return new Promise((resolve, reject) => {
      let result: { data?: Record<string, unknown> | null; errors?: unknown } | undefined;
      const timer = setTimeout(() => reject(new Error("over the socket: timed out")), 60_000);
      ws.subscribe<Record<string, unknown>>(
        { query, variables: variables as Record<string, unknown> },
        {
          next: (r) => {
            result = r as typeof result;
          },
          error: (e) => {
            clearTimeout(timer);
            reject(new Error(`over the socket: ${JSON.stringify(e).slice(0, 300)}`));
          },
          complete: () => {
            clearTimeout(timer);
            if (!result?.data || result.errors) reject(new Error(`over the socket: ${JSON.stringify(result).slice(0, 300)}`));
            else resolve(result.data);
          },
        },
      );
    });
  }
  const r = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (!r.ok || !body.data) throw new Error(`HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.data;
}

async function claimAndComplete(jobId: string, lab: LabKey): Promise<void> {
  try {
    const c = (await gql(lab.key, CLAIM, claimVars(jobId))).claimPrintJob as { leaseToken: string | null; errors: Array<{ code: string }> };
    if (!c.leaseToken) throw new Error(`claim: ${c.errors.map((e) => e.code).join(",")}`);
    const d = (await gql(lab.key, COMPLETE, { jobId, leaseToken: c.leaseToken })).completePrintJob as { errors: Array<{ code: string }> };
    if (d.errors.length > 0) throw new Error(`complete: ${d.errors.map((e) => e.code).join(",")}`);
    send({ type: "done", jobId, at: now(), ok: true });
  } catch (e) {
    send({ type: "done", jobId, at: now(), ok: false, error: e instanceof Error ? e.message : String(e) });
  }
}

function open(lab: LabKey): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean): void => {
      if (!settled) {
        settled = true;
        resolve(ok);
      }
    };
    const claimer = !claimerOf.has(lab.labId);
    if (claimer) claimerOf.add(lab.labId);
    const client = createClient({
      url: url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${lab.key}` },
      lazy: false,
      retryAttempts: 0,
      keepAlive: 0,
      // A connection lost after it opened (graphql-ws would print the whole close event): reported, not retried.
      onNonLazyError: (e) => {
        const code = (e as { code?: unknown } | null)?.code;
        send({ type: "error", message: `the connection of ${lab.labId} was lost${typeof code === "number" ? ` (close code ${code})` : ""}` });
      },
      on: {
        connected: () => settle(true),
        closed: () => settle(false),
        error: () => settle(false),
      },
    });
    const dispose = client.subscribe<{ printJobs: { job: { id: string; status: string } } }>(
      { operationName: "LabPrintJobs", query: SUBSCRIPTION },
      {
        next: (msg) => {
          const at = now();
          const job = msg.data?.printJobs.job;
          if (!job || job.status !== "QUEUED" || seen.has(job.id)) return;
          seen.add(job.id);
          send({ type: "event", jobId: job.id, at });
          if (claimMode) void claimAndComplete(job.id, lab);
          else held.push({ jobId: job.id, lab });
        },
        error: () => settle(false),
        complete: () => undefined,
      },
    );
    conns.push({ client, lab, claimer, dispose });
    if (claimer) clientOf.set(lab.key, client);
  });
}

async function connect(m: Extract<Incoming, { type: "connect" }>): Promise<void> {
  url = m.url;
  let failed = 0;
  const BATCH = 100;
  while (conns.length < m.count) {
    const start = conns.length;
    const n = Math.min(BATCH, m.count - start);
    const oks = await Promise.all(Array.from({ length: n }, (_, k) => open(m.keys[(start + k) % m.keys.length])));
    failed += oks.filter((ok) => !ok).length;
    if (failed > 50) break;
  }
  send({ type: "connected", open: conns.length - failed, failed });
}

async function close(count: number): Promise<void> {
  while (conns.length > count) {
    const c = conns.pop()!;
    c.dispose();
    await c.client.dispose();
    if (c.claimer) {
      claimerOf.delete(c.lab.labId);
      clientOf.delete(c.lab.key);
    }
  }
  send({ type: "connected", open: conns.length, failed: 0 });
}

async function drain(concurrency: number): Promise<void> {
  const t0 = now();
  let completed = 0;
  let failed = 0;
  const queue = held.splice(0, held.length);
  let next = 0;
  const originalSend = send;
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < queue.length) {
        const j = queue[next++];
        try {
          const c = (await gql(j.lab.key, CLAIM, claimVars(j.jobId))).claimPrintJob as { leaseToken: string | null; errors: Array<{ code: string }> };
          if (!c.leaseToken) throw new Error(c.errors.map((e) => e.code).join(","));
          const d = (await gql(j.lab.key, COMPLETE, { jobId: j.jobId, leaseToken: c.leaseToken })).completePrintJob as { errors: unknown[] };
          if (d.errors.length > 0) throw new Error("complete failed");
          completed++;
        } catch (e) {
          failed++;
          if (failed <= 3) originalSend({ type: "error", message: `drain ${j.jobId}: ${e instanceof Error ? e.message : String(e)}` });
        }
      }
    }),
  );
  send({ type: "drained", completed, failed, ms: now() - t0 });
}

process.on("message", (m: Incoming) => {
  const run = async (): Promise<void> => {
    switch (m.type) {
      case "connect":
        return connect(m);
      case "close":
        return close(m.count);
      case "mode":
        claimMode = m.claim;
        return;
      case "drain":
        return drain(m.concurrency);
      case "stop":
        await close(0).catch(() => undefined);
        process.exit(0);
    }
  };
  run().catch((e: unknown) => send({ type: "error", message: e instanceof Error ? e.message : String(e) }));
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
