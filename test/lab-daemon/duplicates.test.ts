/**
 * One job, announced over and over while the daemon holds it: twice in one backlog, by a live ring
 * while its claim is under way, by the backlog sent again after a reconnect (stale: the center read
 * it before the claim; the claim itself, sent over the socket that was cut, is sent again over HTTP
 * with its claim key), and once more after it was completed. A daemon with a worker to spare must
 * still claim it once, write it once, complete it once, and say nothing but that. And a stop while
 * a printing history report is under way waits for its answer before it closes the journal. The
 * center here is a small fake that speaks the same GraphQL (over HTTP and graphql-transport-ws,
 * operations over either) and counts.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import { LabDaemon } from "../../src/lab-daemon/daemon";
import { Journal } from "../../src/lab-daemon/journal";
import { parseSheetSize } from "../../src/lab-daemon/print-files";
import { makePng } from "../support/images";
import { until } from "../support/until";

interface FakeJob {
  id: string;
  status: "QUEUED" | "LEASED" | "DONE" | "FAILED";
  attempts: number;
  token: string | null;
  claimKey: string | null;
}

const PNG = makePng(40, 30, 3);
const PNG_SHA = createHash("sha256").update(PNG).digest("hex");

/** A center that holds `ids` QUEUED; `onClaim` runs before a claim is answered. */
/**
 * `lose`: asked before an operation is answered; "cut" takes it and then cuts the socket before the
 * answer (the answer is lost), "unavailable" answers HTTP 503 without taking it.
 */
type Lose = (op: string, via: "ws" | "http", v: Record<string, any>) => "cut" | "unavailable" | null;

async function fakeCenter(ids: string[], hooks: { onClaim?: (jobId: string) => Promise<void>; lose?: Lose; hold?: (op: string) => Promise<void> | null } = {}) {
  const jobs = new Map<string, FakeJob>(ids.map((id) => [id, { id, status: "QUEUED", attempts: 0, token: null, claimKey: null }]));
  const calls: Array<{ op: string; jobId?: string; claimKey?: string }> = [];
  const subscriptions: Array<{ socket: WebSocket; id: string }> = [];
  const event = (j: FakeJob, status = j.status) => ({
    id: j.id,
    orderId: `O-${j.id}`,
    labId: "LAB01",
    status,
    attempts: j.attempts,
    lastError: null,
    order: { subOrders: [{ sheets: 1 }] },
  });
  const ring = (jobId: string, status?: FakeJob["status"]) => {
    const sub = subscriptions[subscriptions.length - 1];
    const j = jobs.get(jobId)!;
    if (sub && sub.socket.readyState === sub.socket.OPEN)
      sub.socket.send(JSON.stringify({ type: "next", id: sub.id, payload: { data: { printJobs: { job: event(j, status) } } } }));
  };
  const answer = async (op: string, v: Record<string, any>): Promise<unknown> => {
    await hooks.hold?.(op);
    const j = v.jobId ? jobs.get(v.jobId) : v.id ? jobs.get(v.id) : undefined;
    switch (op) {
      case "LabClaimPrintJob": {
        await hooks.onClaim?.(v.jobId);
        if (j && j.status === "LEASED" && v.claimKey && j.claimKey === v.claimKey) {
          // The same claim again: the same lease (as the center answers it).
          return {
            claimPrintJob: {
              job: { id: j.id, orderId: `O-${j.id}`, status: j.status, attempts: j.attempts },
              leaseToken: j.token,
              leaseExpiresAt: new Date(Date.now() + 60000).toISOString(),
              errors: [],
            },
          };
        }
        if (!j || j.status !== "QUEUED") {
          return {
            claimPrintJob: {
              job: null,
              leaseToken: null,
              leaseExpiresAt: null,
              errors: [{ code: "ALREADY_CLAIMED", message: `job ${v.jobId} is ${j?.status}`, field: ["jobId"] }],
            },
          };
        }
        j.status = "LEASED";
        j.token = randomBytes(24).toString("hex");
        j.claimKey = v.claimKey ?? null;
        return {
          claimPrintJob: {
            job: { id: j.id, orderId: `O-${j.id}`, status: j.status, attempts: j.attempts },
            leaseToken: j.token,
            leaseExpiresAt: new Date(Date.now() + 60000).toISOString(),
            errors: [],
          },
        };
      }
      case "LabPrintJob":
        return {
          printJob: j && {
            id: j.id,
            orderId: `O-${j.id}`,
            labId: "LAB01",
            status: j.status,
            attempts: j.attempts,
            order: {
              id: `O-${j.id}`,
              status: "PRINTING",
              subOrders: [
                {
                  id: `O-${j.id}:1`,
                  number: 1,
                  serviceId: "SV01",
                  sheets: 1,
                  items: [{ id: `IT-${j.id}`, imageId: "I1", designTemplateId: null, layout: null }],
                },
              ],
              fulfilment: null,
            },
            images: [{ imageId: "I1", url: "/img/I1", sha256: PNG_SHA, bytes: PNG.length, width: 40, height: 30, contentType: "image/png" }],
          },
        };
      case "LabPrintJobStatus":
        return { printJob: j && { id: j.id, status: j.status, attempts: j.attempts } };
      case "LabCompletePrintJob": {
        if (j && j.status === "LEASED" && j.token === v.leaseToken) j.status = "DONE";
        const ok = j && j.status === "DONE" && j.token === v.leaseToken;
        return {
          completePrintJob: {
            job: j && { id: j.id, status: j.status, attempts: j.attempts },
            errors: ok ? [] : [{ code: "LEASE_LOST", message: "not held", field: ["leaseToken"] }],
          },
        };
      }
      case "LabReportLoad":
        return { reportLabLoad: { accepted: true, errors: [] } };
      case "LabReportPrintHistory":
        return { reportPrintHistory: { stored: v.entries.length, errors: [] } };
      default:
        throw new Error(`the fake center does not do ${op}`);
    }
  };
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/img/I1") {
      res.writeHead(200, { "content-type": "image/png" }).end(PNG);
      return;
    }
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const { operationName, variables } = JSON.parse(body) as { operationName: string; variables: Record<string, any> };
      calls.push({ op: operationName, jobId: variables.jobId ?? variables.id, claimKey: variables.claimKey });
      if (hooks.lose?.(operationName, "http", variables) === "unavailable") {
        res.writeHead(503).end();
        return;
      }
      answer(operationName, variables).then(
        (data) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data })),
        (e) =>
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ errors: [{ message: String(e), extensions: { code: "BAD_USER_INPUT" } }] })),
      );
    });
  });
  const wss = new WebSocketServer({ server, path: "/graphql" });
  wss.on("connection", (socket) => {
    socket.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { operationName?: string; variables?: Record<string, any> } };
      if (msg.type === "connection_init") socket.send(JSON.stringify({ type: "connection_ack" }));
      else if (msg.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
      else if (msg.type === "subscribe" && msg.payload?.operationName !== "LabPrintJobs") {
        // A query or mutation over the socket (the daemon's way while it is connected).
        const { operationName = "", variables = {} } = msg.payload ?? {};
        calls.push({ op: operationName, jobId: variables.jobId ?? variables.id, claimKey: variables.claimKey });
        const lost = hooks.lose?.(operationName, "ws", variables) === "cut";
        const reply = (payload: object) => {
          if (lost) socket.terminate();
          if (socket.readyState !== socket.OPEN) return;
          socket.send(JSON.stringify({ type: "next", id: msg.id, payload }));
          socket.send(JSON.stringify({ type: "complete", id: msg.id }));
        };
        answer(operationName, variables).then(
          (data) => reply({ data }),
          (e) => reply({ errors: [{ message: String(e), extensions: { code: "BAD_USER_INPUT" } }] }),
        );
      } else if (msg.type === "subscribe") {
        subscriptions.push({ socket, id: msg.id! });
        // The backlog, as read when the subscription began.
        for (const j of jobs.values()) if (j.status === "QUEUED") ring(j.id);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    jobs,
    calls,
    subscriptions,
    ring,
    /** Cuts every connection (the daemon reconnects and subscribes again). */
    cut: () => wss.clients.forEach((s) => s.terminate()),
    close: () =>
      new Promise<void>((resolve) => {
        wss.clients.forEach((s) => s.terminate());
        wss.close();
        server.close(() => resolve());
      }),
  };
}

/** A daemon writing small JPEG sheets into `<root>/hot`, its lines collected; `tune` sets the timings. */
function labDaemon(root: string, url: string, tune: { historyEverySeconds: number; resyncEverySeconds: number; concurrency: number }) {
  const out = path.join(root, "hot");
  const lines: string[] = [];
  const daemon = new LabDaemon({
    url,
    key: "k",
    out,
    stateDir: path.join(out, ".printmesh-lab"),
    sheet: parseSheetSize("20x30"),
    dpi: 30,
    format: "jpeg",
    loadEverySeconds: 60,
    ...tune,
    templatesDir: null,
    say: (line) => lines.push(line),
    backoff: { baseMs: 20, capMs: 50 },
    stopGraceMs: 200,
  });
  return { daemon, out, lines };
}

describe("a job announced again while the daemon holds it", () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-dup-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("is claimed, written and completed once, and the log says just that", async () => {
    let center: Awaited<ReturnType<typeof fakeCenter>> | null = null;
    let held = false;
    center = await fakeCenter(["J1", "J2"], {
      // While J1's claim is in flight: a live ring for it, then a reconnect whose backlog (read
      // before the claim) offers it again as QUEUED; only then does the claim answer.
      onClaim: async (jobId) => {
        if (jobId !== "J1" || held) return;
        held = true;
        const c = center!;
        c.ring("J1", "QUEUED");
        c.ring("J1", "QUEUED");
        const subscribed = c.subscriptions.length;
        c.cut();
        await until("the daemon subscribed again", () => c.subscriptions.length > subscribed, { timeoutMs: 15000 });
        c.ring("J1", "QUEUED");
        // The claim is answered late on purpose, after the daemon has had time to see the ring.
        await new Promise((r) => setTimeout(r, 200));
      },
    });
    const { daemon, out, lines } = labDaemon(root, center.url, {
      historyEverySeconds: 0.2,
      // Resubscribes (a whole backlog again) whenever idle.
      resyncEverySeconds: 0.1,
      // A worker to spare, free to take a duplicate if the daemon let it.
      concurrency: 3,
    });
    await daemon.start();
    try {
      await until("both jobs DONE", () => [...center!.jobs.values()].every((j) => j.status === "DONE"), { timeoutMs: 15000 });
      expect(held).toBe(true);
      // Announced once more after it was completed: not taken up.
      center.ring("J1", "QUEUED");
      await until("the history reported", () => center!.calls.some((c) => c.op === "LabReportPrintHistory"), { timeoutMs: 15000 });
      await until("a resync after the work", () => center!.subscriptions.length >= 4, { timeoutMs: 15000 });
    } finally {
      await daemon.stop();
      await center.close();
    }
    // J1's claim went over the socket, which was cut before its answer: the daemon sent it again
    // over HTTP with the same claim key, and got the lease that claim had won. (J2's claim, sent
    // at the same time, may have been cut too: then it was sent again the same way.)
    const claims = center.calls.filter((c) => c.op === "LabClaimPrintJob");
    const keysOf = (id: string) => claims.filter((c) => c.jobId === id).map((c) => c.claimKey);
    expect(keysOf("J1")).toHaveLength(2);
    expect([1, 2]).toContain(keysOf("J2").length);
    for (const id of ["J1", "J2"]) {
      expect(keysOf(id)[0]).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(new Set(keysOf(id)).size).toBe(1);
    }
    expect(
      center.calls
        .filter((c) => c.op === "LabCompletePrintJob")
        .map((c) => c.jobId)
        .sort(),
    ).toEqual(["J1", "J2"]);
    expect(
      fs
        .readdirSync(out)
        .filter((n) => !n.startsWith("."))
        .sort(),
    ).toEqual(["job-J1", "job-J2"]);
    const about = (id: string) => lines.filter((l) => l.startsWith(`job ${id} `)).map((l) => l.replace(/ \(order .*\)$| to .*$/, ""));
    expect(about("J1")).toEqual(["job J1 claimed", "job J1 written", "job J1 completed"]);
    expect(about("J2")).toEqual(["job J2 claimed", "job J2 written", "job J2 completed"]);
    expect(lines.join("\n")).not.toMatch(/skipped|not written again|already in the hot folder|unexpected error/);
  }, 30000);

  it("is claimed again with the same claim key after the claim's answer was lost, even when announced again meanwhile", async () => {
    let lost = 0;
    // J1's first claim is taken and its answer lost with the socket; sent again over HTTP, the
    // center is away (503). Then J1 is announced again as QUEUED (stale) while the daemon waits.
    const center = await fakeCenter(["J1"], {
      lose: (op, via) => {
        if (op !== "LabClaimPrintJob") return null;
        if (via === "ws" && lost === 0) return ((lost = 1), "cut");
        if (via === "http" && lost === 1) return ((lost = 2), "unavailable");
        return null;
      },
    });
    const { daemon, out, lines } = labDaemon(root, center.url, { historyEverySeconds: 60, resyncEverySeconds: 60, concurrency: 2 });
    await daemon.start();
    try {
      await until("the claim to be lost", () => lost === 2 && lines.some((l) => l.startsWith("job J1 not claimed")), { timeoutMs: 15000 });
      await until("the daemon to subscribe again", () => center.subscriptions.length >= 2, { timeoutMs: 15000 });
      center.ring("J1", "QUEUED");
      center.ring("J1", "QUEUED");
      await until("J1 DONE", () => center.jobs.get("J1")!.status === "DONE", { timeoutMs: 15000 });
    } finally {
      await daemon.stop();
      await center.close();
    }
    const keys = center.calls.filter((c) => c.op === "LabClaimPrintJob").map((c) => c.claimKey);
    expect(keys.length).toBe(3); // over the socket (lost), over HTTP (503), again (the lease it had won)
    expect(new Set(keys).size).toBe(1);
    expect(center.calls.filter((c) => c.op === "LabCompletePrintJob")).toHaveLength(1);
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual(["job-J1"]);
    const about = lines.filter((l) => l.startsWith("job J1 ")).map((l) => l.replace(/: .*$| \(order .*\)$| to .*$/, ""));
    expect(about).toEqual(["job J1 not claimed", "job J1 claimed", "job J1 written", "job J1 completed"]);
  }, 30000);
});

describe("a stop while a printing history report is under way", () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-stop-"))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("waits for the report's answer before closing the journal: nothing is left to send", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let reports = 0;
    // The first report is taken but answered only when released.
    const center = await fakeCenter(["J1"], { hold: (op) => (op === "LabReportPrintHistory" && ++reports === 1 ? held : null) });
    const { daemon, out } = labDaemon(root, center.url, { historyEverySeconds: 0.1, resyncEverySeconds: 60, concurrency: 1 });
    await daemon.start();
    let stopped: Promise<void> | null = null;
    try {
      await until("J1 DONE", () => center.jobs.get("J1")!.status === "DONE", { timeoutMs: 15000 });
      await until("the history report under way", () => reports === 1, { timeoutMs: 15000 });
      stopped = daemon.stop();
      // The stop must wait for the report under way: hold the report's answer a while first.
      await new Promise((r) => setTimeout(r, 300));
      release();
      await stopped;
    } finally {
      release();
      if (!stopped) await daemon.stop();
      await center.close();
    }
    const { journal } = Journal.open(path.join(out, ".printmesh-lab"));
    try {
      expect(journal.all()).toEqual([]);
      expect(journal.pendingHistory()).toEqual([]);
    } finally {
      journal.close();
    }
    // Taken once over the socket; the stop cut the socket, so the same report went again over
    // HTTP (the center counts an entry once); nothing more was pending.
    expect(center.calls.filter((c) => c.op === "LabReportPrintHistory").length).toBeLessThanOrEqual(2);
  }, 30000);
});
