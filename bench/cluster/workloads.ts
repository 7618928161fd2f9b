/**
 * The two workloads of `npm run bench:cluster`, run alike against one center or HAProxy in front of
 * three, and the catalog both setups import.
 *
 * - Orders: as `npm run bench:orders` (its HTTP client, order and timed window): customers, one
 *   worker each, place and confirm orders for the window; each answer's X-Center header (set by
 *   the cluster's HAProxy) says which center took the place and which the confirm.
 * - Dispatch: as the end-to-end round of `npm run bench:dispatch`, smaller: simulated labs (its
 *   labs' process, graphql-ws) hold the events of `jobs` orders that name them, then claim and
 *   complete all of them with `concurrency` in flight: jobs/s.
 */
import * as fs from "node:fs";
import { generateLabKey } from "../../src/labs/lab-keys.service";
import { hashPassword } from "../../src/identity/passwords";
import { Role } from "../../src/identity/role";
import { login, progress } from "../common";
import { Labs } from "../dispatch/labs-driver";
import { benchOrder, CenterClient, type OrderInput } from "../orders/center-orders";
import { CUSTOMER_PASSWORD, customers, orderSites, type Catalog, type OrderSite } from "../orders/scratch-database";
import { runTimed, type TimedResult } from "../orders/timed-run";
import type { ChildProcess } from "node:child_process";

export interface LabKey {
  labId: string;
  key: string;
}

/** What both setups import, and where their orders go. */
export interface BenchCatalog {
  /** The catalog bundle with the customers and the dispatch labs added (JSON). */
  bundle: object;
  logins: string[];
  /** The orders workload's shops: every pickup site of the catalog but the dispatch labs' one. */
  orders: Catalog;
  /** The dispatch labs (at their own shop, so that the orders workload's jobs never reach them). */
  labs: LabKey[];
  dispatchSite: OrderSite;
}

/** The demo catalog plus `customerCount` customers and `labCount` labs at the last pickup site, with clear API keys. */
export async function benchCatalog(bundleFile: string, customerCount: number, labCount: number): Promise<BenchCatalog> {
  const bundle = JSON.parse(fs.readFileSync(bundleFile, "utf8")) as Parameters<typeof orderSites>[0] & {
    users?: unknown[];
    labs?: unknown[];
    chargedImages?: Array<{ imageId: string }>;
  };
  const sites = orderSites(bundle);
  if (sites.length < 2) throw new Error(`${bundleFile}: two shops with a pickup lab printing two priced services are needed (orders, dispatch)`);
  const imageIds = (bundle.chargedImages ?? []).map((c) => c.imageId);
  if (imageIds.length === 0) throw new Error(`${bundleFile}: no charged images to order without uploads`);
  const dispatchSite = sites[sites.length - 1];
  const people = customers(customerCount);
  const passwordHash = await hashPassword(CUSTOMER_PASSWORD);
  const labs: LabKey[] = Array.from({ length: labCount }, (_, i) => ({ labId: `BLAB${String(i + 1).padStart(4, "0")}`, key: generateLabKey() }));
  bundle.users = [
    ...(bundle.users ?? []),
    ...people.map((c) => ({ id: c.id, login: c.login, passwordHash, name: `Benchmark customer ${c.login.slice(-2)}`, role: Role.GENERAL_USER })),
  ];
  bundle.labs = [
    ...(bundle.labs ?? []),
    ...labs.map((l) => ({
      id: l.labId,
      name: `Bench lab ${l.labId}`,
      shopId: dispatchSite.shopId,
      apiKey: l.key,
      serviceIds: [dispatchSite.serviceIds[0]],
      fulfilment: ["PICKUP"],
      capacitySheetsPerHour: 1000,
    })),
  ];
  return { bundle, logins: people.map((p) => p.login), orders: { sites: sites.slice(0, -1), imageIds }, labs, dispatchSite };
}

/** Logs the customers in a few at a time: each login is an argon2 verification, slow on purpose. */
export async function loginAll(url: string, logins: string[]): Promise<string[]> {
  const tokens: string[] = new Array<string>(logins.length);
  for (let i = 0; i < logins.length; i += 4) {
    await Promise.all(logins.slice(i, i + 4).map(async (l, k) => (tokens[i + k] = await login(url, l, CUSTOMER_PASSWORD))));
  }
  return tokens;
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

export interface OrdersResult {
  run: TimedResult;
  /** Orders whose place and confirm both named the center that answered (X-Center), and of those the ones confirmed on another. */
  seenCenters: number;
  crossed: number;
  /** Orders that reached each center's place (by X-Center). */
  placedOn: Map<string, number>;
  /** Failed orders (warm-up included) by step and first error code, e.g. "confirmOrder NOT_FOUND". */
  failureKinds: Map<string, number>;
}

/** "placeOrder CODE", "confirmOrder CODE" or "HTTP status": what a failed order's error says first. */
export function failureKind(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const step = /^(placeOrder|confirmOrder)/.exec(message)?.[1] ?? /^HTTP \d+/.exec(message)?.[0] ?? "other";
  const code = /"code":"(\w+)"/.exec(message)?.[1];
  return code ? `${step} ${code}` : step;
}

export interface Window {
  warmupMs: number;
  durationMs: number;
  onWindowStart: () => void;
  onWindowEnd: () => void;
  signal: AbortSignal;
}

export async function ordersWorkload(url: string, tokens: string[], catalog: Catalog, runId: string, window: Window): Promise<OrdersResult> {
  const client = new CenterClient(url, tokens.length);
  try {
    await client.placeAndConfirm(tokens[0], benchOrder(catalog, 0, 0), `${runId}-check`).catch((e: unknown) => {
      throw new Error(`the first order does not go through: ${e instanceof Error ? e.message : String(e)}`);
    });
    let seenCenters = 0;
    let crossed = 0;
    const placedOn = new Map<string, number>();
    const failureKinds = new Map<string, number>();
    const run = await runTimed({ workers: tokens.length, ...window }, async (w, seq) => {
      const r = await client.placeAndConfirm(tokens[w], benchOrder(catalog, w, seq), `${runId}-${w}-${seq}`).catch((e: unknown) => {
        const kind = failureKind(e);
        failureKinds.set(kind, (failureKinds.get(kind) ?? 0) + 1);
        throw e;
      });
      if (r.placedOn === undefined || r.confirmedOn === undefined) return;
      seenCenters++;
      if (r.placedOn !== r.confirmedOn) crossed++;
      placedOn.set(r.placedOn, (placedOn.get(r.placedOn) ?? 0) + 1);
    });
    return { run, seenCenters, crossed, placedOn, failureKinds };
  } finally {
    // Idle keep-alive sockets would hold a center's graceful stop until its own time-out.
    client.close();
  }
}

// ---------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------

export interface DispatchResult {
  /** Jobs made (orders confirmed), and of those the ones whose event reached their lab (the others are not claimed). */
  jobs: number;
  heard: number;
  completed: number;
  failed: number;
  seconds: number;
  jobsPerSec: number;
  errors: string[];
  /** Orders of the dispatch workload that failed to be placed or confirmed (they have no job). */
  orderFailures: number;
  orderFailureSamples: string[];
}

/** The order of a dispatch job: one sub-order of one sheet naming lab `lab`. */
function dispatchOrder(catalog: BenchCatalog, lab: LabKey, seq: number): OrderInput {
  return {
    labId: lab.labId,
    fulfilment: { method: "PICKUP" },
    subOrders: [
      {
        serviceId: catalog.dispatchSite.serviceIds[0],
        sheets: 1,
        items: [{ imageId: catalog.orders.imageIds[seq % catalog.orders.imageIds.length], layout: { x: 10, y: 10, width: 100, height: 150 } }],
      },
    ],
  };
}

/**
 * Connects the labs (one socket each, through `url`), places `jobs` orders naming them while they
 * hold the events, then has them claim and complete all with `concurrency` in flight, measured
 * from the first claim to the last completion; `measured` brackets that drain.
 */
export async function dispatchWorkload(
  url: string,
  tokens: string[],
  catalog: BenchCatalog,
  opts: { jobs: number; concurrency: number; runId: string },
  started: (proc: ChildProcess) => void,
  measured: { before: () => Promise<void>; after: () => Promise<void> },
): Promise<DispatchResult> {
  const labs = await Labs.start("ws", started);
  const client = new CenterClient(url, tokens.length);
  try {
    labs.send({ type: "connect", url, keys: catalog.labs, count: catalog.labs.length });
    const connected = await labs.next("connected", 120_000);
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${catalog.labs.length} lab connections failed: ${labs.errors.join("; ")}`);
    labs.send({ type: "mode", claim: false });
    let next = 0;
    let confirmed = 0;
    const failures: string[] = [];
    await Promise.all(
      tokens.map(async (token) => {
        while (next < opts.jobs) {
          const seq = next++;
          await client.placeAndConfirm(token, dispatchOrder(catalog, catalog.labs[seq % catalog.labs.length], seq), `${opts.runId}-d${seq}`).then(
            () => confirmed++,
            (e: unknown) => failures.push(e instanceof Error ? e.message : String(e)),
          );
        }
      }),
    );
    // Orders that failed have no job: the others are measured, the failures reported.
    if (confirmed === 0) throw new Error(`no dispatch order went through: ${failures.slice(0, 3).join("; ")}`);
    // Until every job's event arrived, or none for 10 s (a lab whose connection was lost misses its own).
    for (let heard = labs.events.size, quietSince = Date.now(); labs.events.size < confirmed;) {
      if (labs.events.size > heard) [heard, quietSince] = [labs.events.size, Date.now()];
      else if (Date.now() - quietSince > 10_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (labs.events.size === 0) throw new Error(`the labs heard of none of ${confirmed} jobs: ${labs.errors.join("; ")}`);
    progress(`dispatch: ${labs.events.size} jobs held by ${connected.open} labs; claiming and completing them, ${opts.concurrency} in flight`);
    await measured.before();
    labs.send({ type: "drain", concurrency: opts.concurrency });
    const drained = await labs.next("drained", 600_000);
    await measured.after();
    return {
      jobs: confirmed,
      heard: labs.events.size,
      completed: drained.completed,
      failed: drained.failed,
      seconds: drained.ms / 1000,
      jobsPerSec: drained.completed / Math.max(1e-3, drained.ms / 1000),
      errors: labs.errors,
      orderFailures: failures.length,
      orderFailureSamples: failures.slice(0, 3),
    };
  } finally {
    client.close();
    await labs.stop();
  }
}
