/**
 * A lab renews its lease while it still works on a job (issue 22: a minilab controller slower than
 * the lease), and the admins are told when a controller refuses a job or never takes it. Through
 * the real center with a 2-second lease, so that the sweeper would take back a job whose lease
 * was not renewed; every answer re-read from the database.
 */
import type { ObjectLiteral, EntityTarget, FindOptionsWhere } from "typeorm";
import { startCenter, type TestCenter } from "../support/center";
import { withTransaction } from "../../src/db/transaction";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { until } from "../support/until";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LEASE_SECONDS = 2;

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { id status attempts } leaseToken leaseExpiresAt errors { code message field } } }`;
const RENEW = `mutation($id: ID!, $token: String!) { renewPrintJobLease(jobId: $id, leaseToken: $token) { job { id status attempts leaseExpiresAt } errors { code message field } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { id status attempts } errors { code message field } } }`;
const FAIL = `mutation($id: ID!, $token: String!, $reason: String!, $retryable: Boolean!) {
  failPrintJob(jobId: $id, leaseToken: $token, reason: $reason, retryable: $retryable) { job { id status attempts availableAt lastError } errors { code message field } } }`;

const pickup = (shopId: string) => ({ shopId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] });

function poke<T extends ObjectLiteral>(c: TestCenter, entity: EntityTarget<T>, where: FindOptionsWhere<T>, patch: Partial<T>) {
  return withTransaction(c.ds, (em) => em.update(entity, where, patch as never));
}

describe(`print job leases renewed, and controllers' refusals told (lease of ${LEASE_SECONDS} s)`, () => {
  let c: TestCenter;
  const t: Record<string, string> = {};

  beforeAll(async () => {
    c = await startCenter({ env: { PRINT_JOB_LEASE_SECONDS: String(LEASE_SECONDS), PRINT_JOB_MAX_ATTEMPTS: "3" } });
    for (const [k, login, pw] of [
      ["center", "center", "center-pass-1"],
      ["customer", "customer", "customer-pass"],
      ["groupA", "group-a", "group-a-pass"],
      ["groupB", "group-b", "group-b-pass"],
      ["shop1", "shop-1", "shop-1-pass"],
      ["shop2", "shop-2", "shop-2-pass"],
    ]) {
      t[k] = await c.login(login, pw);
    }
  });
  afterAll(async () => {
    await c?.stop();
  });

  const jobRow = (id: string) => c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id });
  const orderRow = (id: string) => c.ds.getRepository(OrderEntity).findOneByOrFail({ id });

  async function claimed(): Promise<{ orderId: string; jobId: string; token: string }> {
    const placed = await c.gql(PLACE, { input: pickup("SP01") }, t.customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const order = placed.data!.placeOrder.order;
    expect((await c.gql(CONFIRM, { id: order.id, total: order.total }, t.customer)).data!.confirmOrder.errors).toEqual([]);
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id, status: "QUEUED" });
    const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(claim.errors).toEqual([]);
    return { orderId: order.id, jobId: job.id, token: claim.leaseToken };
  }

  const renew = async (jobId: string, token: string) => (await c.gql(RENEW, { id: jobId, token }, LAB01_KEY)).data!.renewPrintJobLease;
  const lost = (jobId: string, status: string) => [
    { code: "LEASE_LOST", message: `This lease on job ${jobId} is not (or no longer) held: the job is ${status}`, field: ["leaseToken"] },
  ];

  async function noticesOf(token: string, jobId: string): Promise<Array<{ kind: string; message: string }>> {
    const r = await c.gql(`{ notifications(first: 200) { kind message } }`, {}, token);
    return (r.data!.notifications as Array<{ kind: string; message: string }>).filter((n) => n.message.includes(jobId));
  }

  it("keeps a job leased past several lease lengths while the lab renews it, costing no attempt; then completes it with the same token", async () => {
    const { orderId, jobId, token } = await claimed();
    const keepUntil = Date.now() + 3 * LEASE_SECONDS * 1000;
    let renewals = 0;
    // The lab renews about every third of the lease, as its daemon does while a controller decides.
    await until(
      "three lease lengths with renewals",
      async () => {
        const before = Date.now();
        const r = await renew(jobId, token);
        const after = Date.now();
        expect(r.errors).toEqual([]);
        expect(r.job).toMatchObject({ id: jobId, status: "LEASED", attempts: 0 });
        const until = Date.parse(r.job.leaseExpiresAt);
        expect(until).toBeGreaterThanOrEqual(before + LEASE_SECONDS * 1000);
        expect(until).toBeLessThanOrEqual(after + LEASE_SECONDS * 1000);
        expect((await jobRow(jobId)).leaseExpiresAt!.getTime()).toBe(until);
        renewals += 1;
        return Date.now() >= keepUntil;
      },
      { timeoutMs: 20000, intervalMs: (LEASE_SECONDS * 1000) / 3 },
    );
    expect(renewals).toBeGreaterThanOrEqual(6);
    expect(await jobRow(jobId)).toMatchObject({ status: "LEASED", attempts: 0, leaseToken: token, lastError: null });
    expect((await orderRow(orderId)).status).toBe("PRINTING");
    const done = (await c.gql(COMPLETE, { id: jobId, token }, LAB01_KEY)).data!.completePrintJob;
    expect(done).toEqual({ job: { id: jobId, status: "DONE", attempts: 0 }, errors: [] });
    expect((await orderRow(orderId)).status).toBe("PRINTED");
    // A settled job's lease is not renewed.
    expect(await renew(jobId, token)).toEqual({ job: null, errors: lost(jobId, "DONE") });
  });

  it("never shortens a lease, and refuses another token, a malformed one and a lease that was swept (LEASE_LOST), changing nothing", async () => {
    const { jobId, token } = await claimed();
    const far = new Date(Date.now() + 3600_000);
    await poke(c, PrintJobEntity, { id: jobId }, { leaseExpiresAt: far });
    const held = await jobRow(jobId);
    const r = await renew(jobId, token);
    expect(r).toEqual({ job: { id: jobId, status: "LEASED", attempts: 0, leaseExpiresAt: far.toISOString() }, errors: [] });
    expect(await jobRow(jobId)).toEqual(held);

    for (const other of ["0".repeat(48), "not-a-token"]) {
      expect(await renew(jobId, other)).toEqual({ job: null, errors: lost(jobId, "LEASED") });
      expect(await jobRow(jobId)).toEqual(held);
    }
    expect(await renew("no-such-job", token)).toEqual({
      job: null,
      errors: [{ code: "NOT_FOUND", message: "No job no-such-job of this lab", field: ["jobId"] }],
    });

    // Not renewed: the lease runs out, the sweeper takes the job back, and the old token renews nothing.
    await poke(c, PrintJobEntity, { id: jobId }, { leaseExpiresAt: new Date(Date.now() - 1000) });
    await until("the sweeper to requeue the job", async () => (await jobRow(jobId)).status === "QUEUED", { timeoutMs: 10000, intervalMs: 100 });
    const swept = await jobRow(jobId);
    expect(swept).toMatchObject({ attempts: 1, leaseToken: null, leaseExpiresAt: null, lastError: `the lease of ${LEASE_SECONDS} s ran out` });
    expect(await renew(jobId, token)).toEqual({ job: null, errors: lost(jobId, "QUEUED") });
    expect(await jobRow(jobId)).toEqual(swept);
  });

  it("tells the shop's, group's and center admins when the lab's controller refused the job (PRINT_JOB_REFUSED), with the reason", async () => {
    const { orderId, jobId, token } = await claimed();
    const reason = `CONTROLLER_REFUSED: the controller refused order folder o${orderId}-1 (renamed q${orderId}-1)`;
    const r = (await c.gql(FAIL, { id: jobId, token, reason, retryable: true }, LAB01_KEY)).data!.failPrintJob;
    expect(r.errors).toEqual([]);
    expect(r.job).toMatchObject({ id: jobId, status: "QUEUED", attempts: 1, lastError: reason });
    const message = `Print job ${jobId} of order ${orderId} was not taken by the controller at lab LAB01 (attempt 1); it is offered again from ${r.job.availableAt}: ${reason}`;
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], jobId)).toEqual([{ kind: "PRINT_JOB_REFUSED", message }]);
    for (const who of ["groupB", "shop2", "customer"]) expect(await noticesOf(t[who], jobId)).toEqual([]);
    const rows = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "PRINT_JOB_REFUSED", orderId } });
    expect(rows.map((n) => [n.message, n.orderId, n.labId, n.shopId])).toEqual(Array(3).fill([message, orderId, "LAB01", "SP01"]));
  });

  it("tells nobody of a retryable failure that is not a controller's answer, nor of a lapsed lease; at the last attempt only PRINT_JOB_FAILED", async () => {
    const { orderId, jobId, token } = await claimed();
    expect((await c.gql(FAIL, { id: jobId, token, reason: "paper jam", retryable: true }, LAB01_KEY)).data!.failPrintJob.job).toMatchObject({
      status: "QUEUED",
      attempts: 1,
    });
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], jobId)).toEqual([]);
    // Claimed again and left to lapse: the sweeper requeues it and tells nobody.
    await poke(c, PrintJobEntity, { id: jobId }, { availableAt: new Date(Date.now() - 1000) });
    expect((await c.gql(CLAIM, { id: jobId }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([]);
    await until("the lease to lapse", async () => (await jobRow(jobId)).attempts === 2, { timeoutMs: 10000, intervalMs: 100 });
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], jobId)).toEqual([]);
    // The last attempt: a time-out fails the job for good, told once as PRINT_JOB_FAILED.
    await poke(c, PrintJobEntity, { id: jobId }, { availableAt: new Date(Date.now() - 1000) });
    const last = (await c.gql(CLAIM, { id: jobId }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    const reason = `CONTROLLER_TIMEOUT: the controller did not take ${orderId}-1_GLOSSY.txt within 2s`;
    const r = (await c.gql(FAIL, { id: jobId, token: last, reason, retryable: true }, LAB01_KEY)).data!.failPrintJob;
    expect(r.job).toMatchObject({ status: "FAILED", attempts: 3, lastError: reason });
    const message = `Print job ${jobId} of order ${orderId} failed at lab LAB01 after 3 attempts: ${reason}`;
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], jobId)).toEqual([{ kind: "PRINT_JOB_FAILED", message }]);
  });
});
