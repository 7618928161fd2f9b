/**
 * The print-job store's contract, run against whichever engine this run uses (CI runs the suite on
 * SQLite and on MariaDB): every method of PrintJobStore through the store the center picked, two
 * claimers racing (one winner), a lapsed lease swept, a completion moving its order, a withdrawal;
 * and what each step of dispatch costs in statements on each engine (a claim, a completion, a
 * confirmation), measured through the API as a lab and a customer use it.
 */
import type { Client } from "graphql-ws";
import type { DataSource } from "typeorm";
import { leastStatements, startCenter, type TestCenter } from "../support/center";
import { uploadPng } from "../support/images";
import { until } from "../support/until";
import { RollbackWithErrors } from "../../src/common/errors";
import { queryCounter } from "../../src/db/query-counter";
import { withTransaction } from "../../src/db/transaction";
import { inTransaction } from "../../src/core/unit-of-work";
import { systemContext } from "../../src/core/request-context";
import { randomHex } from "../../src/common/random-tokens";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import type { Lease, PrintJobStore } from "../../src/dispatch/print-job-store";
import { OrderEntity } from "../../src/orders/order.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { Role } from "../../src/identity/role";
import { UserEntity } from "../../src/identity/user.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const PLACE = `mutation($input: OrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message field } } }`;
const LEAN = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId confirmedAt } errors { code message field } } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`;
const SUB = `subscription { printJobs { job { id orderId status attempts } } }`;
const JOB_FIELDS = "id orderId labId status attempts lastError availableAt leaseExpiresAt createdAt updatedAt";
const FULL_CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { ${JOB_FIELDS} } leaseToken errors { code } } }`;
const FULL_COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { ${JOB_FIELDS} } errors { code } } }`;

const pickup = (subOrders: object[]) => ({ shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders });
const a4 = (sheets: number, images: string[] = []) => ({ serviceId: "SV01", sheets, items: images.map((imageId) => ({ imageId })) });
const cards = (sheets: number, images: string[] = []) => ({ serviceId: "SV02", sheets, items: images.map((imageId) => ({ imageId })) });

let c: TestCenter;
let store: PrintJobStore;
let customer: string;
let photo: string;

beforeAll(async () => {
  c = await startCenter();
  store = c.server.services.printJobStore;
  customer = await c.login("customer", "customer-pass");
  photo = (await uploadPng(c.url, customer, 1)).id;
  // The lab key verified once, so that costs below are the work's alone.
  expect((await c.gql(`{ printJob(id: "none") { id } }`, {}, LAB01_KEY)).data).toEqual({ printJob: null });
});
afterAll(async () => {
  await c?.stop();
});

const sqlite = () => c.ds.options.type === "better-sqlite3";
const jobRow = (id: string) => c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id });
const orderRow = (id: string) => c.ds.getRepository(OrderEntity).findOneByOrFail({ id });
const jobsOf = (orderId: string) => c.ds.getRepository(PrintJobEntity).find({ where: { orderId }, order: { createdAt: "ASC" } });

async function placeAndConfirm(input: object = pickup([a4(1, [photo])])): Promise<{ orderId: string; job: PrintJobEntity }> {
  const placed = await c.gql(PLACE, { input }, customer);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const order = placed.data!.placeOrder.order;
  const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, customer);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id, status: "QUEUED" });
  return { orderId: order.id, job };
}

function lease(jobId: string, seconds = 600): Lease {
  const now = new Date();
  return { jobId, labId: "LAB01", leaseToken: randomHex(24), leaseExpiresAt: new Date(now.getTime() + seconds * 1000), claimKey: null, now };
}

/** A claim as the lifecycle makes it: the store's one-statement way, else its transactional way (the order moving with the job). */
async function claimThroughStore(ds: DataSource, l: Lease): Promise<PrintJobEntity | null> {
  const won = await store.claimAtOnce(ds, l, undefined);
  if (won) return won;
  return withTransaction(ds, async (em) => {
    const job = await store.claim(em, l, undefined);
    if (job) await store.moveOrder(em, job.orderId, "START_PRINTING");
    return job;
  }).catch((e: unknown) => {
    if (e instanceof RollbackWithErrors) return null;
    throw e;
  });
}

/** The job's fields as a fresh read through the API gives them (the lab's own pull). */
async function stored(id: string): Promise<unknown> {
  const r = await c.gql(`query($id: ID!) { printJob(id: $id) { ${JOB_FIELDS} } }`, { id }, LAB01_KEY);
  expect(r.errors).toBeUndefined();
  return r.data!.printJob;
}

/** A lab's printJobs subscription, collecting every event. */
function watchJobs(client: Client) {
  const events: Array<{ id: string; attempts: number }> = [];
  const dispose = client.subscribe<{ printJobs: { job: { id: string; attempts: number } } }>(
    { query: SUB },
    { next: (v) => v.data && events.push(v.data.printJobs.job), error: () => undefined, complete: () => undefined },
  );
  const waitFor = (pred: (j: { id: string; attempts: number }) => boolean) => until("a matching printJobs event", () => events.find(pred), { timeoutMs: 8000 });
  return { waitFor, dispose };
}

describe("the print-job store of this engine", () => {
  it("is the one for the engine the center runs on", () => {
    expect(store.engine).toBe(sqlite() ? "sqlite" : "mariadb");
  });

  it("queues a job in a transaction and withdraws the order's open jobs, refusing when a lab holds one", async () => {
    const ctx = systemContext(c.server.app, "store-test");
    const { orderId, job: first } = await placeAndConfirm();
    const queued = await inTransaction(ctx, (tx) => store.queue(tx, orderId, "LAB01"));
    expect(queued.value).toMatchObject({ orderId, labId: "LAB01", status: "QUEUED", attempts: 0, leaseToken: null, lastError: null });
    expect(await jobRow(queued.value!.id)).toEqual(queued.value);

    const withdrawn = await inTransaction(ctx, (tx) => store.withdraw(tx, orderId, "order cancelled"));
    expect(withdrawn.value!.map((j) => j.id).sort()).toEqual([first.id, queued.value!.id].sort());
    for (const j of await jobsOf(orderId)) expect([j.status, j.lastError]).toEqual(["FAILED", "order cancelled"]);
    // Nothing open is left: withdrawing again withdraws nothing.
    expect((await inTransaction(ctx, (tx) => store.withdraw(tx, orderId, "again"))).value).toEqual([]);

    // A job a lab holds is not withdrawn: null, and the caller rolls back.
    const held = await placeAndConfirm();
    expect(await claimThroughStore(c.ds, lease(held.job.id))).not.toBeNull();
    expect((await inTransaction(ctx, (tx) => store.withdraw(tx, held.orderId, "too late"))).value).toBeNull();
    expect(await jobRow(held.job.id)).toMatchObject({ status: "LEASED", lastError: null });
  });

  it("lets exactly one of two racing claimers win, the order moving once", async () => {
    for (let round = 0; round < 3; round++) {
      const { orderId, job } = await placeAndConfirm();
      const [a, b] = [lease(job.id), lease(job.id)];
      const won = await Promise.all([claimThroughStore(c.ds, a), claimThroughStore(c.ds, b)]);
      expect(won.filter((j) => j !== null)).toHaveLength(1);
      const winner = won[0] ? a : b;
      const row = await jobRow(job.id);
      expect(row).toMatchObject({ status: "LEASED", leaseToken: winner.leaseToken, leaseExpiresAt: winner.leaseExpiresAt });
      expect(won.find((j) => j !== null)).toEqual(row);
      expect(await orderRow(orderId)).toMatchObject({ status: "PRINTING", version: 2 });
      // The loser learns why from the job as it now stands.
      const now = await withTransaction(c.ds, (em) => store.current(em, job.id, "LAB01"));
      expect(now).toEqual(row);
    }
  });

  it("finishes a lease, its order PRINTED with it, only with the lease's token", async () => {
    const { orderId, job } = await placeAndConfirm();
    const l = lease(job.id);
    const leased = await claimThroughStore(c.ds, l);
    expect(leased).not.toBeNull();
    const wrong = { jobId: job.id, labId: "LAB01", leaseToken: randomHex(24), now: new Date() };
    expect(await store.finishAtOnce(c.ds, wrong, undefined)).toBeNull();
    expect(await withTransaction(c.ds, (em) => store.finish(em, wrong, undefined))).toBeNull();
    const finish = { jobId: job.id, labId: "LAB01", leaseToken: l.leaseToken, now: new Date() };
    const done =
      (await store.finishAtOnce(c.ds, finish, leased!)) ??
      (await withTransaction(c.ds, async (em) => {
        const j = await store.finish(em, finish, leased!);
        if (j) await store.moveOrder(em, j.orderId, "FINISH_PRINTING");
        return j;
      }));
    expect(done).toEqual(await jobRow(job.id));
    expect(done).toMatchObject({ status: "DONE", leaseToken: l.leaseToken, leaseExpiresAt: null });
    expect(await orderRow(orderId)).toMatchObject({ status: "PRINTED", version: 3 });
    // A second completion wins nothing.
    expect(await store.finishAtOnce(c.ds, { ...finish, now: new Date() }, undefined)).toBeNull();
    expect(await withTransaction(c.ds, (em) => store.finish(em, { ...finish, now: new Date() }, undefined))).toBeNull();
    // From PRINTED the table has no START_PRINTING: the update matches nothing, the order is read
    // to say why, and nothing changes.
    const printed = await orderRow(orderId);
    let refused: unknown;
    await withTransaction(c.ds, (em) => store.moveOrder(em, orderId, "START_PRINTING")).catch((e: unknown) => (refused = e));
    expect(refused).toBeInstanceOf(RollbackWithErrors);
    expect((refused as RollbackWithErrors).errors).toEqual([{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("PRINTED"), field: ["orderId"] }]);
    expect(await orderRow(orderId)).toEqual(printed);
  });

  it("moves an order with its job only as the orders' table allows, and otherwise changes nothing", async () => {
    const { orderId } = await placeAndConfirm();
    const row = await orderRow(orderId);
    let refused: unknown;
    await withTransaction(c.ds, (em) => store.moveOrder(em, orderId, "FINISH_PRINTING")).catch((e: unknown) => (refused = e));
    expect((refused as RollbackWithErrors).errors).toEqual([{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("ASSIGNED"), field: ["orderId"] }]);
    expect(await orderRow(orderId)).toEqual(row);
  });

  it("sweeps a lapsed lease: found once it ran out, ended once (requeued or failed), and retries that became due", async () => {
    const { orderId, job } = await placeAndConfirm();
    const l = lease(job.id);
    const leased = await claimThroughStore(c.ds, l);
    expect(leased).not.toBeNull();
    const before = await store.lapsedAndDue(c.ds, 0, new Date(l.now.getTime() + 500), 1000);
    expect(before.expired.map((j) => j.id)).not.toContain(job.id);
    const later = new Date(l.leaseExpiresAt.getTime() + 1);
    const found = await store.lapsedAndDue(c.ds, 0, later, 1000);
    const lapsed = found.expired.find((j) => j.id === job.id);
    expect(lapsed).toEqual(await jobRow(job.id));
    const end = {
      status: "QUEUED" as const,
      attempts: 1,
      availableAt: later,
      leaseToken: null,
      leaseExpiresAt: null,
      lastError: "the lease ran out",
      updatedAt: later,
    };
    // Not lapsed yet at the lease's start: nothing ends.
    expect(await withTransaction(c.ds, (em) => store.endLease(em, lapsed!, end, l.now))).toBeNull();
    // Two sweepers at once: one ends it.
    const ended = await Promise.all([0, 1].map(() => withTransaction(c.ds, (em) => store.endLease(em, lapsed!, end, later))));
    expect(ended.filter((j) => j !== null)).toHaveLength(1);
    expect(await jobRow(job.id)).toMatchObject({ status: "QUEUED", attempts: 1, leaseToken: null, lastError: "the lease ran out" });
    await withTransaction(c.ds, (em) => store.moveOrder(em, orderId, "REQUEUE"));
    expect(await orderRow(orderId)).toMatchObject({ status: "ASSIGNED" });
    // A retry (attempts > 0) due in (since, now] is found to be rung.
    const due = await store.lapsedAndDue(c.ds, later.getTime() - 1, new Date(later.getTime() + 1), 1000);
    expect(due.due.map((j) => j.id)).toContain(job.id);
    expect((await store.lapsedAndDue(c.ds, later.getTime(), new Date(later.getTime() + 1), 1000)).due.map((j) => j.id)).not.toContain(job.id);
  });
});

describe("what dispatch costs in statements on this engine", () => {
  it("claims and completes in 4 statements each on SQLite and 1 each on MariaDB when this process announced the job", async () => {
    // The lab holds its subscription (as a daemon does): its stream keeps it seen, so claims and
    // completions write nothing else.
    const client = c.ws(LAB01_KEY);
    const watch = watchJobs(client);
    const placed: Array<{ orderId: string; job: PrintJobEntity }> = [];
    for (let i = 0; i < 3; i++) placed.push(await placeAndConfirm(pickup([a4(1)])));
    for (const { job } of placed) await watch.waitFor((j) => j.id === job.id);
    expect(c.server.services.presence.isConnectedHere("LAB01")).toBe(true);
    // SQLite: begin; the job's conditional update; the order's conditional update; commit.
    // MariaDB: the job's and the order's conditional update in one statement.
    const claims = await leastStatements(3, (i) => c.gql(FULL_CLAIM, { id: placed[i].job.id }, LAB01_KEY));
    for (const r of claims.results) expect(r.data!.claimPrintJob.errors).toEqual([]);
    expect(claims.count).toBe(sqlite() ? 4 : 1);
    // A lease granted here pins the row it was granted on: the completion needs no read back either.
    const done = await leastStatements(3, (i) =>
      c.gql(FULL_COMPLETE, { id: placed[i].job.id, token: claims.results[i].data!.claimPrintJob.leaseToken }, LAB01_KEY),
    );
    for (const r of done.results) expect(r.data!.completePrintJob.errors).toEqual([]);
    expect(done.count).toBe(sqlite() ? 4 : 1);
    watch.dispose();
    await client.dispose();
  });

  it("reads the job back when it was not announced here, or changed since it was", async () => {
    // Not announced (no subscription): SQLite: begin, update, read, update, commit; MariaDB: the
    // claim's statement and a read. The completion of a lease granted here does not read.
    const quiet = await placeAndConfirm(pickup([a4(1)]));
    // The lab heard from just now (its last-seen write is throttled), so that the claim's cost is its own.
    expect((await c.gql(FULL_CLAIM, { id: "none" }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([{ code: "NOT_FOUND" }]);
    const claim = await leastStatements(1, () => c.gql(FULL_CLAIM, { id: quiet.job.id }, LAB01_KEY));
    expect(claim.results[0].data!.claimPrintJob.errors).toEqual([]);
    expect(claim.count).toBe(sqlite() ? 5 : 2);
    const token: string = claim.results[0].data!.claimPrintJob.leaseToken;
    const completed = await leastStatements(1, () => c.gql(FULL_COMPLETE, { id: quiet.job.id, token }, LAB01_KEY));
    expect(completed.count).toBe(sqlite() ? 4 : 1);

    // Announced, then changed behind the stream's back: the remembered row no longer matches, so
    // the claim takes the way that reads.
    const client = c.ws(LAB01_KEY);
    const watch = watchJobs(client);
    const moved = await placeAndConfirm(pickup([a4(1)]));
    await watch.waitFor((j) => j.id === moved.job.id && j.attempts === 0);
    await withTransaction(c.ds, (em) => em.update(PrintJobEntity, { id: moved.job.id }, { attempts: 1, lastError: "the lease of 600 s ran out" }));
    const again = await leastStatements(1, () => c.gql(FULL_CLAIM, { id: moved.job.id }, LAB01_KEY));
    expect(again.results[0].data!.claimPrintJob.errors).toEqual([]);
    expect(again.count).toBe(sqlite() ? 6 : 3);
    expect(again.results[0].data!.claimPrintJob.job).toEqual(await stored(moved.job.id));
    watch.dispose();
    await client.dispose();
  });

  it("confirms an order this process placed in 5 statements on MariaDB (one round trip) and 6 on SQLite", async () => {
    const input = pickup([a4(2, [photo, "IMG-C01"]), cards(3, [photo])]);
    await placeAndConfirm(input); // the lab list, the user and the price book cached
    const batches = queryCounter.batches;
    const place = await leastStatements(3, (i) => c.gql(PLACE, { input, key: `store-cost-${i}` }, customer));
    const orders = place.results.map((r) => r.data!.placeOrder.order);
    // Begin; the order's conditional update; the job; the shop admins' ORDER_RECEIVED notices (on
    // MariaDB one INSERT ... SELECT that chooses them; on SQLite the admins read, then their
    // notices); commit. The order is not read: this process placed it and remembers it (the version
    // check guards that memory).
    const confirm = await leastStatements(3, (i) => c.gql(LEAN, { id: orders[i].id, total: orders[i].total }, customer));
    for (const r of confirm.results) expect(r.data!.confirmOrder.order).toMatchObject({ status: "ASSIGNED", labId: "LAB01" });
    expect(confirm.count).toBe(sqlite() ? 6 : 5);
    // On MariaDB the writes go in one round trip: 3 places, 3 confirms.
    expect(queryCounter.batches - batches).toBe(sqlite() ? 0 : 6);
    // Each confirmation told the shop's admins once, whichever way the notices were written.
    const admins = await c.ds.getRepository(UserEntity).find({ where: { role: Role.SHOP_ADMIN, shopId: "SP01", disabled: false }, select: { id: true } });
    expect(admins.length).toBeGreaterThan(0);
    for (const o of orders) {
      const told = await c.ds.getRepository(NotificationEntity).find({ where: { orderId: o.id, kind: "ORDER_RECEIVED" } });
      expect(told.map((n) => n.userId).sort()).toEqual(admins.map((a) => a.id).sort());
      expect(told.every((n) => n.shopId === "SP01" && n.labId === "LAB01" && n.message.includes(`total ${o.total}`))).toBe(true);
    }
  });

  it("a confirmation from memory of an order cancelled meanwhile costs 6 statements, and queues nothing", async () => {
    const placed = (await c.gql(PLACE, { input: pickup([a4(2, [photo])]) }, customer)).data!.placeOrder.order;
    expect((await c.gql(CANCEL, { id: placed.id }, customer)).data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    // MariaDB: the missed batch (begin, update, the job's and the notices' conditional inserts,
    // commit), then the read. SQLite: begin, update, rollback, then begin, the read, rollback.
    const before = queryCounter.count;
    const late = await c.gql(LEAN, { id: placed.id, total: placed.total }, customer);
    expect(late.data!.confirmOrder.errors.map((e: { code: string }) => e.code)).toEqual(["ILLEGAL_TRANSITION"]);
    expect(queryCounter.count - before).toBe(6);
    expect(await jobsOf(placed.id)).toEqual([]);
    expect(await c.ds.getRepository(NotificationEntity).countBy({ orderId: placed.id, kind: "ORDER_RECEIVED" })).toBe(0);
  });
});
