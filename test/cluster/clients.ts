/**
 * The fault test's clients: GraphQL over HTTP that tells which center answered (HAProxy's
 * X-Center header) and what went wrong on the way, customers placing orders through HAProxy and
 * confirming each at once on another center, and simulated labs (graphql-ws through HAProxy,
 * claiming and completing as the lab daemon does) that reconnect and catch up.
 */
import { randomBytes } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { CLAIM, COMPLETE, SUBSCRIPTION } from "../../src/lab-daemon/center-protocol";

export interface Answer<T = any> {
  status: number;
  /** The center that answered, as HAProxy names it (c1, c2, c3); null when asked directly or HAProxy answered itself. */
  center: string | null;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** What failed on the way (not a payload error): a time, where, and what. */
export interface Trouble {
  at: number;
  where: string;
  what: string;
}

export async function gql<T = any>(url: string, query: string, variables: object = {}, bearer: string | null = null): Promise<Answer<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/graphql-response+json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: object = {};
  try {
    body = JSON.parse(text) as object;
  } catch {
    body = { errors: [{ message: `not JSON (${res.status}): ${text.slice(0, 200)}` }] };
  }
  return { status: res.status, center: res.headers.get("x-center"), ...body };
}

/** Sends until an answer with data comes back (a center killed, a node away: asked again); each failure is noted. */
export async function insist<T>(what: string, troubles: Trouble[], send: () => Promise<Answer<T>>, stopping: () => boolean = () => false): Promise<Answer<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await send();
      if (r.status === 200 && r.data && !r.errors) return r;
      troubles.push({ at: Date.now(), where: `${what} via ${r.center ?? "?"}`, what: `${r.status} ${JSON.stringify(r.errors ?? r.data).slice(0, 300)}` });
    } catch (e) {
      troubles.push({
        at: Date.now(),
        where: what,
        what: e instanceof Error ? `${e.name}: ${e.message} ${String((e as { cause?: unknown }).cause ?? "")}` : String(e),
      });
    }
    if (stopping() || attempt > 200) throw new Error(`${what}: no answer after ${attempt} attempts: ${JSON.stringify(troubles.slice(-3))}`);
    await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
  }
}

/** A simulated lab: one subscription through HAProxy, every QUEUED job claimed and completed over HTTP through HAProxy. */
export class SimulatedLab {
  private client: Client | null = null;
  private dispose: (() => void) | null = null;
  /** jobId -> every distinct lease token a claim of it was granted (more than one: printed twice). */
  readonly leases = new Map<string, Set<string>>();
  readonly completed = new Set<string>();
  readonly troubles: Trouble[] = [];
  private readonly busy = new Set<string>();
  private readonly claimKeys = new Map<string, string>();
  connections = 0;
  private closed = false;

  constructor(
    readonly labId: string,
    private key: string,
    private readonly url: string,
  ) {}

  start(): void {
    const client = createClient({
      url: this.url.replace(/^http/, "ws") + "/graphql",
      webSocketImpl: WebSocket,
      connectionParams: () => ({ authorization: `Bearer ${this.key}` }),
      lazy: false,
      retryAttempts: Number.MAX_SAFE_INTEGER,
      shouldRetry: () => !this.closed,
      retryWait: () => new Promise((r) => setTimeout(r, 200)),
      keepAlive: 2000,
      on: { connected: () => this.connections++ },
    });
    this.client = client;
    this.dispose = client.subscribe<{ printJobs: { job: { id: string; status: string } } }>(
      { query: SUBSCRIPTION },
      {
        next: (v) => {
          const job = v.data?.printJobs.job;
          if (job && job.status === "QUEUED") void this.work(job.id);
        },
        error: (e) => this.troubles.push({ at: Date.now(), where: `${this.labId} subscription`, what: JSON.stringify(e).slice(0, 300) }),
        complete: () => undefined,
      },
    );
  }

  /** A new key for the lab: the subscription is opened again with it, and claims carry it. */
  async switchKey(key: string): Promise<void> {
    this.key = key;
    this.dispose?.();
    await this.client?.dispose();
    this.start();
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.dispose?.();
    await this.client?.dispose();
  }

  private async work(jobId: string): Promise<void> {
    if (this.busy.has(jobId) || this.completed.has(jobId)) return;
    this.busy.add(jobId);
    try {
      // The same claim key each time: a claim sent again answers the same lease.
      const claimKey = this.claimKeys.get(jobId) ?? randomBytes(18).toString("base64url");
      this.claimKeys.set(jobId, claimKey);
      const claimed = await insist(`${this.labId} claim ${jobId}`, this.troubles, () => gql(this.url, CLAIM, { jobId, claimKey }, this.key));
      const c = claimed.data.claimPrintJob as { leaseToken: string | null; errors: Array<{ code: string }> };
      if (!c.leaseToken) {
        this.troubles.push({ at: Date.now(), where: `${this.labId} claim ${jobId}`, what: `refused: ${JSON.stringify(c.errors)}` });
        return;
      }
      if (!this.leases.has(jobId)) this.leases.set(jobId, new Set());
      this.leases.get(jobId)!.add(c.leaseToken);
      const done = await insist(`${this.labId} complete ${jobId}`, this.troubles, () => gql(this.url, COMPLETE, { jobId, leaseToken: c.leaseToken }, this.key));
      const d = done.data.completePrintJob as { job: { status: string } | null; errors: Array<{ code: string }> };
      if (d.errors.length > 0) this.troubles.push({ at: Date.now(), where: `${this.labId} complete ${jobId}`, what: JSON.stringify(d.errors) });
      else this.completed.add(jobId);
    } finally {
      this.busy.delete(jobId);
    }
  }
}

export const PLACE = `mutation($input: OrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { order { id total } errors { code message } } }`;
export const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;

export interface PlacedOrder {
  id: string;
  key: string;
  labId: string;
  placedOn: string;
  confirmedOn: string;
  confirmed: boolean;
  errors: string[];
}
