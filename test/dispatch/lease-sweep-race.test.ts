/**
 * The lease sweeper under a race, asked of the print-job lifecycle directly: several sweeps at
 * once end a lapsed lease once (one requeue, one order transition), and the lab that held the
 * lease is then told LEASE_LOST. The center sweeps on its own timer and no public operation runs a
 * sweep, so the racing sweeps are started here; the job itself is made and claimed over the API.
 */
import { startCenter, type TestCenter } from "../support/center";
import { withTransaction } from "../../src/db/transaction";
import { OrderEntity } from "../../src/orders/order.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
// By entity name: the print job's entity is reached without naming the folder that holds it.
const PRINT_JOB = "PrintJobEntity";

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { id status attempts leaseExpiresAt } leaseToken leaseExpiresAt errors { code message field } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { id status attempts updatedAt } errors { code message field } } }`;

let c: TestCenter;
let customer: string;

beforeAll(async () => {
  c = await startCenter();
  customer = await c.login("customer", "customer-pass");
});
afterAll(async () => {
  await c?.stop();
});

const jobRow = (id: string) => c.ds.getRepository(PRINT_JOB).findOneByOrFail({ id });
const orderRow = (id: string) => c.ds.getRepository(OrderEntity).findOneByOrFail({ id });

it("ends a lapsed lease once, even when sweeps race", async () => {
  const input = { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] };
  const placed = await c.gql(PLACE, { input }, customer);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const orderId = placed.data!.placeOrder.order.id;
  const confirmed = await c.gql(CONFIRM, { id: orderId, total: placed.data!.placeOrder.order.total }, customer);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  const job = await c.ds.getRepository(PRINT_JOB).findOneByOrFail({ orderId, status: "QUEUED" });
  const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
  // The lease runs out (the wait is skipped in the database, through the center's transaction queue).
  await withTransaction(c.ds, (em) => em.update(PRINT_JOB, { id: job.id }, { leaseExpiresAt: new Date(Date.now() - 1000) }));
  const app = c.server.app;
  const reports = await Promise.all(Array.from({ length: 6 }, () => c.server.services.printJobLifecycle.sweep(app, Date.now())));
  // The server's own sweeper may have been first; either way the job was requeued exactly once.
  expect(reports.reduce((n, r) => n + r.requeued, 0)).toBeLessThanOrEqual(1);
  expect(await jobRow(job.id)).toMatchObject({ status: "QUEUED", attempts: 1, leaseToken: null, leaseExpiresAt: null });
  expect(await orderRow(orderId)).toMatchObject({ status: "ASSIGNED", version: 3 }); // confirm, claim, requeue
  expect((await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY)).data!.completePrintJob.errors[0]).toMatchObject({ code: "LEASE_LOST" });
});
