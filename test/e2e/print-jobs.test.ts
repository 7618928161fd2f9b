/**
 * Labs that pull (seed 001): the print job's whole life through the real center, real HTTP and
 * real graphql-ws clients. Confirm -> ring -> pull with signed image links -> claim -> complete;
 * idempotent completion; lost and wrong leases; racing claimers (one winner on every engine);
 * leases that run out (the sweeper, with a 1-second lease); retries with a growing delay; failures
 * that end the order and tell the right admins; who may do any of it.
 */
import { createHash } from "node:crypto";
import type { Client } from "graphql-ws";
import type { ObjectLiteral, EntityTarget, FindOptionsWhere } from "typeorm";
import { nextEvent, startCenter, type TestCenter } from "../support/center";
import { authzMatrix, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { makePng, uploadPng } from "../support/images";
import { withTransaction } from "../../src/db/transaction";
import { queryCounter } from "../../src/db/query-counter";
import { LabEntity } from "../../src/labs/lab.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { RETRY_BASE_SECONDS, retryDelaySeconds } from "../../src/dispatch/print-job-lifecycle.service";
import { until } from "../support/until";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status labId } errors { code message } } }`;
const SUB = `subscription { printJobs { job { id orderId status attempts } } }`;
const PULL = `query($id: ID!) { printJob(id: $id) { id orderId labId status attempts leaseExpiresAt lastError availableAt
  order { id status subOrders { id number sheets items { imageId } } fulfilment { method speed address { country postalCode recipient } } }
  images { imageId url urlExpiresAt sha256 bytes width height contentType } } }`;
const CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { id status attempts leaseExpiresAt } leaseToken leaseExpiresAt errors { code message field } } }`;
const COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { id status attempts updatedAt } errors { code message field } } }`;
const JOB_FIELDS = "id orderId labId status attempts lastError availableAt leaseExpiresAt createdAt updatedAt";
const FULL_CLAIM = `mutation($id: ID!) { claimPrintJob(jobId: $id) { job { ${JOB_FIELDS} } leaseToken errors { code } } }`;
const FULL_COMPLETE = `mutation($id: ID!, $token: String!) { completePrintJob(jobId: $id, leaseToken: $token) { job { ${JOB_FIELDS} } errors { code } } }`;
const FAIL = `mutation($id: ID!, $token: String!, $reason: String!, $retryable: Boolean!) {
  failPrintJob(jobId: $id, leaseToken: $token, reason: $reason, retryable: $retryable) { job { id status attempts availableAt lastError } errors { code message field } } }`;

type Job = { id: string; orderId: string; status: string; attempts: number };

const pickup = (shopId: string, subOrders: object[]) => ({ shopId, fulfilment: { method: "PICKUP" }, subOrders });
const a4 = (sheets: number, images: string[] = []) => ({ serviceId: "SV01", sheets, items: images.map((imageId) => ({ imageId })) });
const cards = (sheets: number, images: string[] = []) => ({ serviceId: "SV02", sheets, items: images.map((imageId) => ({ imageId })) });

/** Writes through the center's transaction queue (on SQLite the connection is shared). */
function poke<T extends ObjectLiteral>(c: TestCenter, entity: EntityTarget<T>, where: FindOptionsWhere<T>, patch: Partial<T>) {
  return withTransaction(c.ds, (em) => em.update(entity, where, patch as never));
}

async function placeAndConfirm(c: TestCenter, token: string, input: object): Promise<{ orderId: string; job: PrintJobEntity }> {
  const placed = await c.gql(PLACE, { input }, token);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const order = placed.data!.placeOrder.order;
  const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, token);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id, status: "QUEUED" });
  return { orderId: order.id, job };
}

/** A lab's printJobs subscription, collecting every event. */
function watchJobs(client: Client) {
  const events: Job[] = [];
  const errors: unknown[] = [];
  const dispose = client.subscribe<{ printJobs: { job: Job } }>(
    { query: SUB },
    {
      next: (v) => {
        if (v.data) events.push(v.data.printJobs.job);
        else errors.push(v.errors);
      },
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  const waitFor = (pred: (j: Job) => boolean, ms = 8000): Promise<Job> =>
    until("a matching printJobs event", () => events.find(pred), { timeoutMs: ms, detail: () => `got ${JSON.stringify(events)} ${JSON.stringify(errors)}` });
  return { events, errors, waitFor, dispose };
}

const jobRow = (c: TestCenter, id: string) => c.ds.getRepository(PrintJobEntity).findOneByOrFail({ id });
const orderRow = (c: TestCenter, id: string) => c.ds.getRepository(OrderEntity).findOneByOrFail({ id });
/** The job's fields as a fresh read through the API gives them (the lab's own pull). */
async function stored(c: TestCenter, id: string): Promise<unknown> {
  const r = await c.gql(`query($id: ID!) { printJob(id: $id) { ${JOB_FIELDS} } }`, { id }, LAB01_KEY);
  expect(r.errors).toBeUndefined();
  return r.data!.printJob;
}
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("print jobs (lease of 600 s)", () => {
  let c: TestCenter;
  const t: Record<string, string> = {};
  let photoA: { id: string; sha256: string };
  let photoB: { id: string; sha256: string };

  beforeAll(async () => {
    c = await startCenter();
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
    photoA = await uploadPng(c.url, t.customer, 11, [40, 30]);
    photoB = await uploadPng(c.url, t.customer, 12, [24, 36]);
    // Verify both lab keys once, so that the racing requests below race on the job, not on argon2.
    for (const key of [LAB01_KEY, LAB02_KEY]) expect((await c.gql(`{ printJob(id: "none") { id } }`, {}, key)).data).toEqual({ printJob: null });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("runs the whole lifecycle: ring, pull with signed links to the exact bytes, claim, print, complete", async () => {
    const watch = watchJobs(c.ws(LAB01_KEY));
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(2, [photoA.id, "IMG-C01"]), cards(3, [photoB.id, photoA.id])]));
    // The ring (after commit), as the lab sees it.
    expect(await watch.waitFor((j) => j.orderId === orderId)).toEqual({ id: job.id, orderId, status: "QUEUED", attempts: 0 });

    // Pull: the order and every distinct image, in order of first use.
    const pulled = await c.gql(PULL, { id: job.id }, LAB01_KEY);
    expect(pulled.errors).toBeUndefined();
    const p = pulled.data!.printJob;
    expect(p).toMatchObject({ id: job.id, orderId, labId: "LAB01", status: "QUEUED", attempts: 0, leaseExpiresAt: null, lastError: null });
    expect(p.order).toEqual({
      id: orderId,
      status: "ASSIGNED",
      subOrders: [
        { id: `${orderId}:1`, number: 1, sheets: 2, items: [{ imageId: photoA.id }, { imageId: "IMG-C01" }] },
        { id: `${orderId}:2`, number: 2, sheets: 3, items: [{ imageId: photoB.id }, { imageId: photoA.id }] },
      ],
      fulfilment: { method: "PICKUP", speed: "STANDARD", address: null },
    });
    expect(p.images.map((i: { imageId: string }) => i.imageId)).toEqual([photoA.id, "IMG-C01", photoB.id]);
    const [imgA, charged, imgB] = p.images;
    expect(imgA).toMatchObject({ sha256: photoA.sha256, width: 40, height: 30, contentType: "image/png", bytes: makePng(40, 30, 11).length });
    expect(imgB).toMatchObject({ sha256: photoB.sha256, width: 24, height: 36, contentType: "image/png", bytes: makePng(24, 36, 12).length });
    // A charged image known only by id: no bytes at the center, so no link.
    expect(charged).toEqual({ imageId: "IMG-C01", url: null, urlExpiresAt: null, sha256: null, bytes: null, width: null, height: null, contentType: null });
    for (const [img, seed, size] of [
      [imgA, 11, [40, 30]],
      [imgB, 12, [24, 36]],
    ] as const) {
      // Bound to this job: the link stops working once the job is no longer its lab's.
      expect(img.url).toMatch(new RegExp(`^/images/${img.imageId}/original\\?exp=\\d+&job=${p.id}&sig=[A-Za-z0-9_-]{43}$`));
      const left = Date.parse(img.urlExpiresAt) - Date.now();
      expect(left).toBeGreaterThan(200_000); // short-lived: 300 s
      expect(left).toBeLessThanOrEqual(300_000);
      // No credential needed: the signature is the permission.
      const res = await fetch(c.url + img.url);
      expect(res.status).toBe(200);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(body.length).toBe(img.bytes);
      expect(sha256(body)).toBe(img.sha256);
      expect(sha256(body)).toBe(sha256(makePng(size[0], size[1], seed)));
      // A tampered link is refused.
      expect((await fetch(c.url + img.url.replace(/exp=(\d+)/, (_: string, e: string) => `exp=${Number(e) + 1}`))).status).toBe(403);
    }
    // Nobody else reads the job: another lab sees nothing, people are refused.
    expect((await c.gql(PULL, { id: job.id }, LAB02_KEY)).data).toEqual({ printJob: null });
    expect((await c.gql(PULL, { id: job.id }, t.center)).errors![0].extensions!.code).toBe("FORBIDDEN");

    // Claim: a lease, the order printing.
    const before = Date.now();
    const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(claim.errors).toEqual([]);
    expect(claim.leaseToken).toMatch(/^[0-9a-f]{48}$/);
    expect(claim.job).toMatchObject({ id: job.id, status: "LEASED", attempts: 0, leaseExpiresAt: claim.leaseExpiresAt });
    const lease = Date.parse(claim.leaseExpiresAt) - before;
    expect(lease).toBeGreaterThanOrEqual(599_000);
    expect(lease).toBeLessThanOrEqual(601_000);
    expect(await jobRow(c, job.id)).toMatchObject({ status: "LEASED", leaseToken: claim.leaseToken, attempts: 0 });
    expect((await orderRow(c, orderId)).status).toBe("PRINTING");
    const seen = await c.gql(`query($id: ID!) { order(id: $id) { status } }`, { id: orderId }, t.customer);
    expect(seen.data!.order).toEqual({ status: "PRINTING" });

    // Complete: done, the order printed.
    const done = (await c.gql(COMPLETE, { id: job.id, token: claim.leaseToken }, LAB01_KEY)).data!.completePrintJob;
    expect(done.errors).toEqual([]);
    expect(done.job).toMatchObject({ id: job.id, status: "DONE", attempts: 0 });
    const row = await jobRow(c, job.id);
    expect(row).toMatchObject({ status: "DONE", leaseToken: claim.leaseToken, leaseExpiresAt: null });
    const order = await orderRow(c, orderId);
    expect(order.status).toBe("PRINTED");
    // A printed job's images are no longer handed out.
    const after = (await c.gql(PULL, { id: job.id }, LAB01_KEY)).data!.printJob;
    expect(after.images.map((i: { url: string | null }) => i.url)).toEqual([null, null, null]);
    watch.dispose();
  });

  it("completes once: the same completion again answers the job again; another token is LEASE_LOST", async () => {
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    const first = (await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY)).data!.completePrintJob;
    const rowAfterFirst = await jobRow(c, job.id);
    const orderAfterFirst = await orderRow(c, orderId);
    const second = (await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY)).data!.completePrintJob;
    expect(second).toEqual(first);
    expect(second.errors).toEqual([]);
    // One completion: nothing was written the second time.
    expect(await jobRow(c, job.id)).toEqual(rowAfterFirst);
    expect(await orderRow(c, orderId)).toEqual(orderAfterFirst);
    expect(orderAfterFirst).toMatchObject({ status: "PRINTED", version: 3 }); // confirm, claim, complete

    const other = (await c.gql(COMPLETE, { id: job.id, token: "0".repeat(48) }, LAB01_KEY)).data!.completePrintJob;
    expect(other).toEqual({
      job: null,
      errors: [{ code: "LEASE_LOST", message: `This lease on job ${job.id} is not (or no longer) held: the job is DONE`, field: ["leaseToken"] }],
    });
    // A DONE job cannot be failed either.
    const fail = (await c.gql(FAIL, { id: job.id, token, reason: "late", retryable: false }, LAB01_KEY)).data!.failPrintJob;
    expect(fail.errors).toEqual([expect.objectContaining({ code: "LEASE_LOST" })]);
    expect(await jobRow(c, job.id)).toEqual(rowAfterFirst);
  });

  it("answers the same claim sent again with its claim key with the same lease, once; another key, or none, is ALREADY_CLAIMED; a bad key writes nothing", async () => {
    const KEYED = `mutation($id: ID!, $key: String) { claimPrintJob(jobId: $id, claimKey: $key) { job { id status attempts } leaseToken leaseExpiresAt errors { code message field } } }`;
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    for (const bad of ["short", "x".repeat(65), "has spaces in it 123", "ünïcode-ünïcode-ünïcode"]) {
      const r = (await c.gql(KEYED, { id: job.id, key: bad }, LAB01_KEY)).data!.claimPrintJob;
      expect(r).toEqual({
        job: null,
        leaseToken: null,
        leaseExpiresAt: null,
        errors: [{ code: "INVALID_CLAIM_KEY", message: "claimKey must be 16 to 64 characters of A-Z, a-z, 0-9, _ and -", field: ["claimKey"] }],
      });
    }
    expect(await jobRow(c, job.id)).toMatchObject({ status: "QUEUED", leaseToken: null, claimKey: null });

    const key = "daemon-claim-key_0001";
    const first = (await c.gql(KEYED, { id: job.id, key }, LAB01_KEY)).data!.claimPrintJob;
    expect(first.errors).toEqual([]);
    const rowAfterFirst = await jobRow(c, job.id);
    const orderAfterFirst = await orderRow(c, orderId);
    expect(rowAfterFirst).toMatchObject({ status: "LEASED", leaseToken: first.leaseToken, claimKey: key });
    expect(orderAfterFirst).toMatchObject({ status: "PRINTING", version: 2 });

    // The answer was lost; the same claim comes again: the same lease, nothing written.
    const again = (await c.gql(KEYED, { id: job.id, key }, LAB01_KEY)).data!.claimPrintJob;
    expect(again).toEqual(first);
    expect(await jobRow(c, job.id)).toEqual(rowAfterFirst);
    expect(await orderRow(c, orderId)).toEqual(orderAfterFirst);

    for (const other of ["another-claim-key-0002", null]) {
      const r = (await c.gql(KEYED, { id: job.id, key: other }, LAB01_KEY)).data!.claimPrintJob;
      expect(r.leaseToken).toBeNull();
      expect(r.errors.map((e: { code: string }) => e.code)).toEqual(["ALREADY_CLAIMED"]);
    }
    // Another lab, even with the key, learns nothing.
    const foreign = (await c.gql(KEYED, { id: job.id, key }, LAB02_KEY)).data!.claimPrintJob;
    expect(foreign.errors.map((e: { code: string }) => e.code)).toEqual(["NOT_FOUND"]);

    // Once completed, the key wins nothing back.
    expect((await c.gql(COMPLETE, { id: job.id, token: first.leaseToken }, LAB01_KEY)).data!.completePrintJob.errors).toEqual([]);
    const late = (await c.gql(KEYED, { id: job.id, key }, LAB01_KEY)).data!.claimPrintJob;
    expect(late.errors.map((e: { code: string }) => e.code)).toEqual(["NOT_CLAIMABLE"]);
    expect(await orderRow(c, orderId)).toMatchObject({ status: "PRINTED", version: 3 });
  });

  it("claims and completes a job this process announced, answering exactly what is stored (the cost: test/dispatch/print-job-store)", async () => {
    // The lab holds its subscription (as a daemon does): its stream keeps it seen, so claims and
    // completions write nothing else.
    const client = c.ws(LAB01_KEY);
    const watch = watchJobs(client);
    const placed: Array<{ orderId: string; job: PrintJobEntity }> = [];
    for (let i = 0; i < 3; i++) placed.push(await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)])));
    for (const { job } of placed) await watch.waitFor((j) => j.id === job.id);
    expect(c.server.services.presence.isConnectedHere("LAB01")).toBe(true);
    // The job's update requires its other columns to hold what the stream read and sent, so the
    // answer is known without reading the job back: it must still be exactly what is stored.
    const claims = { results: [] as Array<{ data?: Record<string, any> | null }> };
    for (const { job } of placed) claims.results.push(await c.gql(FULL_CLAIM, { id: job.id }, LAB01_KEY));
    for (const r of claims.results) expect(r.data!.claimPrintJob.errors).toEqual([]);
    for (const [i, r] of claims.results.entries()) expect(r.data!.claimPrintJob.job).toEqual(await stored(c, placed[i].job.id));
    // A lease granted here pins the row it was granted on: the completion needs no read back either.
    const done = { results: [] as Array<{ data?: Record<string, any> | null }> };
    for (const [i, { job }] of placed.entries())
      done.results.push(await c.gql(FULL_COMPLETE, { id: job.id, token: claims.results[i].data!.claimPrintJob.leaseToken }, LAB01_KEY));
    for (const r of done.results) expect(r.data!.completePrintJob.errors).toEqual([]);
    for (const [i, r] of done.results.entries()) expect(r.data!.completePrintJob.job).toEqual(await stored(c, placed[i].job.id));
    watch.dispose();
    await client.dispose();
    const orderId = placed[0].orderId;
    const row = await orderRow(c, orderId);
    expect(row).toMatchObject({ status: "PRINTED", version: 3 });
  });

  it("reads the job back when it was not announced here, or changed since it was, and answers what is stored", async () => {
    // Not announced (no subscription): the claim reads the job back. The completion of a lease
    // granted here does not. (What each costs: test/dispatch/print-job-store.)
    const quiet = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const claim = await c.gql(FULL_CLAIM, { id: quiet.job.id }, LAB01_KEY);
    expect(claim.data!.claimPrintJob.errors).toEqual([]);
    expect(claim.data!.claimPrintJob.job).toEqual(await stored(c, quiet.job.id));
    const token: string = claim.data!.claimPrintJob.leaseToken;
    const completed = await c.gql(FULL_COMPLETE, { id: quiet.job.id, token }, LAB01_KEY);
    expect(completed.data!.completePrintJob.job).toEqual(await stored(c, quiet.job.id));

    // Announced, then changed behind the stream's back (attempts and the error, as a lapsed
    // lease leaves them): the remembered row no longer matches, so the claim takes the way that
    // reads, and answers the row as it now is.
    const client = c.ws(LAB01_KEY);
    const watch = watchJobs(client);
    const moved = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    await watch.waitFor((j) => j.id === moved.job.id && j.attempts === 0);
    await poke(c, PrintJobEntity, { id: moved.job.id }, { attempts: 1, lastError: "the lease of 600 s ran out" });
    const again = await c.gql(FULL_CLAIM, { id: moved.job.id }, LAB01_KEY);
    expect(again.data!.claimPrintJob.errors).toEqual([]);
    const answered = again.data!.claimPrintJob.job;
    expect(answered).toMatchObject({ attempts: 1, lastError: "the lease of 600 s ran out", status: "LEASED" });
    expect(answered).toEqual(await stored(c, moved.job.id));
    watch.dispose();
    await client.dispose();
  });

  it("refuses to claim or complete a job whose order cannot move (ILLEGAL_TRANSITION) and changes nothing", async () => {
    // The order's state is forced here (no mutation leaves a queued job under an order that cannot
    // start printing): the job's own update would succeed, the order's refuses, nothing is kept.
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    await poke(c, OrderEntity, { id: orderId }, { status: "PRINTED" });
    const heldJob = await jobRow(c, job.id);
    const heldOrder = await orderRow(c, orderId);
    const refused = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(refused).toEqual({
      job: null,
      leaseToken: null,
      leaseExpiresAt: null,
      errors: [{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("PRINTED"), field: ["orderId"] }],
    });
    expect(await jobRow(c, job.id)).toEqual(heldJob);
    expect(await orderRow(c, orderId)).toEqual(heldOrder);

    // Claimed while the order could move; then the order is forced back: the completion refuses.
    await poke(c, OrderEntity, { id: orderId }, { status: "ASSIGNED" });
    const claimed = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(claimed.errors).toEqual([]);
    await poke(c, OrderEntity, { id: orderId }, { status: "ASSIGNED" });
    const leased = await jobRow(c, job.id);
    const assigned = await orderRow(c, orderId);
    const r = (await c.gql(COMPLETE, { id: job.id, token: claimed.leaseToken }, LAB01_KEY)).data!.completePrintJob;
    expect(r).toEqual({ job: null, errors: [{ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("ASSIGNED"), field: ["orderId"] }] });
    expect(await jobRow(c, job.id)).toEqual(leased);
    expect(leased).toMatchObject({ status: "LEASED", leaseToken: claimed.leaseToken });
    expect(await orderRow(c, orderId)).toEqual(assigned);

    // Once the order may move again, the same lease completes it.
    await poke(c, OrderEntity, { id: orderId }, { status: "PRINTING" });
    expect((await c.gql(COMPLETE, { id: job.id, token: claimed.leaseToken }, LAB01_KEY)).data!.completePrintJob.errors).toEqual([]);
    expect(await jobRow(c, job.id)).toMatchObject({ status: "DONE" });
    expect(await orderRow(c, orderId)).toMatchObject({ status: "PRINTED" });
  });

  it("refuses a wrong token on a leased job (LEASE_LOST) and changes nothing", async () => {
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const token: string = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    const held = await jobRow(c, job.id);
    const heldOrder = await orderRow(c, orderId);
    const wrong = [
      "f".repeat(48), // well-formed, not this lease
      token.toUpperCase(), // the same letters in another case (MariaDB's collation ignores case)
      token.slice(0, 47), // malformed
      "",
    ];
    for (const bad of wrong) {
      const r = (await c.gql(COMPLETE, { id: job.id, token: bad }, LAB01_KEY)).data!.completePrintJob;
      expect(r).toEqual({
        job: null,
        errors: [{ code: "LEASE_LOST", message: `This lease on job ${job.id} is not (or no longer) held: the job is LEASED`, field: ["leaseToken"] }],
      });
      const f = (await c.gql(FAIL, { id: job.id, token: bad, reason: "jam", retryable: true }, LAB01_KEY)).data!.failPrintJob;
      expect(f.errors).toEqual([expect.objectContaining({ code: "LEASE_LOST" })]);
    }
    expect(await jobRow(c, job.id)).toEqual(held);
    expect(await orderRow(c, orderId)).toEqual(heldOrder);
    // An unknown job, or a bad reason, says so.
    expect((await c.gql(COMPLETE, { id: "no-such-job", token }, LAB01_KEY)).data!.completePrintJob.errors).toEqual([
      { code: "NOT_FOUND", message: "No job no-such-job of this lab", field: ["jobId"] },
    ]);
    const blank = (await c.gql(FAIL, { id: job.id, token, reason: "  ", retryable: true }, LAB01_KEY)).data!.failPrintJob;
    expect(blank.errors).toEqual([{ code: "INVALID_REASON", message: "reason must be 1 to 1000 characters", field: ["reason"] }]);
    expect(await jobRow(c, job.id)).toEqual(held);
    // The right token still works.
    expect((await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY)).data!.completePrintJob.errors).toEqual([]);
  });

  it("lets exactly one of 20 concurrent claimers with the same key win", async () => {
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const results = await Promise.all(Array.from({ length: 20 }, () => c.gql(CLAIM, { id: job.id }, LAB01_KEY)));
    const payloads = results.map((r) => {
      expect(r.errors).toBeUndefined();
      return r.data!.claimPrintJob;
    });
    const winners = payloads.filter((p) => p.leaseToken !== null);
    const losers = payloads.filter((p) => p.leaseToken === null);
    expect(winners).toHaveLength(1);
    expect(winners[0].errors).toEqual([]);
    expect(losers).toHaveLength(19);
    for (const l of losers) {
      expect(l).toEqual({
        job: null,
        leaseToken: null,
        leaseExpiresAt: null,
        errors: [{ code: "ALREADY_CLAIMED", message: `Job ${job.id} is LEASED: another claim won it`, field: ["jobId"] }],
      });
    }
    expect(await jobRow(c, job.id)).toMatchObject({ status: "LEASED", leaseToken: winners[0].leaseToken, attempts: 0 });
    // The order moved once.
    expect(await orderRow(c, orderId)).toMatchObject({ status: "PRINTING", version: 2 });

    // Twenty concurrent completions with the winning token: all answered alike, one completion.
    const completions = await Promise.all(Array.from({ length: 20 }, () => c.gql(COMPLETE, { id: job.id, token: winners[0].leaseToken }, LAB01_KEY)));
    for (const r of completions) expect(r.data!.completePrintJob).toMatchObject({ job: { id: job.id, status: "DONE" }, errors: [] });
    expect(await orderRow(c, orderId)).toMatchObject({ status: "PRINTED", version: 3 });
  });

  it("gives the lab the handover of a delivery order: method, speed, address and recipient", async () => {
    const address = {
      country: "JP",
      postalCode: "100-0005",
      region: "Tokyo",
      city: "Chiyoda-ku",
      line1: "1-9-1 Marunouchi",
      line2: null,
      recipient: "Bob Example",
    };
    const { orderId, job } = await placeAndConfirm(c, t.customer, {
      labId: "LAB01",
      fulfilment: { method: "DELIVERY", speed: "EXPRESS", address },
      subOrders: [a4(1, ["IMG-C01"])],
    });
    const ADDRESS = `query($id: ID!) { printJob(id: $id) { orderId order { fulfilment { method speed address { country postalCode region city line1 line2 recipient } } } } }`;
    expect((await c.gql(ADDRESS, { id: job.id }, LAB01_KEY)).data!.printJob).toEqual({
      orderId,
      order: { fulfilment: { method: "DELIVERY", speed: "EXPRESS", address } },
    });
  });

  it("refuses to claim a leased, a withdrawn, a done or another lab's job, saying why", async () => {
    const { job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    expect((await c.gql(CLAIM, { id: job.id }, LAB02_KEY)).data!.claimPrintJob).toEqual({
      job: null,
      leaseToken: null,
      leaseExpiresAt: null,
      errors: [{ code: "NOT_FOUND", message: `No job ${job.id} of this lab`, field: ["jobId"] }],
    });
    expect((await jobRow(c, job.id)).status).toBe("QUEUED");
    const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    expect((await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([expect.objectContaining({ code: "ALREADY_CLAIMED" })]);
    await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY);
    expect((await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([
      { code: "NOT_CLAIMABLE", message: `Job ${job.id} is DONE`, field: ["jobId"] },
    ]);

    // Withdrawn: the customer cancels, the job is FAILED with the reason, and stays unclaimable.
    const cancelled = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const r = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }`, { id: cancelled.orderId }, t.customer);
    expect(r.data!.cancelOrder.errors).toEqual([]);
    expect((await c.gql(CLAIM, { id: cancelled.job.id }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([
      { code: "NOT_CLAIMABLE", message: `Job ${cancelled.job.id} is FAILED: order cancelled`, field: ["jobId"] },
    ]);
    expect(await jobRow(c, cancelled.job.id)).toMatchObject({ status: "FAILED", lastError: "order cancelled", leaseToken: null });
    expect((await orderRow(c, cancelled.orderId)).status).toBe("CANCELLED");
  });

  it("requeues a retryable failure after a growing delay, out of the backlog until then", async () => {
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    expect(retryDelaySeconds(0)).toBe(RETRY_BASE_SECONDS);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      const before = Date.now();
      const r = (await c.gql(FAIL, { id: job.id, token, reason: `paper jam ${attempt}`, retryable: true }, LAB01_KEY)).data!.failPrintJob;
      expect(r.errors).toEqual([]);
      expect(r.job).toMatchObject({ id: job.id, status: "QUEUED", attempts: attempt, lastError: `paper jam ${attempt}` });
      // 30 s, then 60 s: base * 2^(failures before this one).
      const delay = Date.parse(r.job.availableAt) - before;
      const expected = RETRY_BASE_SECONDS * 2 ** (attempt - 1) * 1000;
      expect(delay).toBeGreaterThanOrEqual(expected - 50);
      expect(delay).toBeLessThanOrEqual(expected + 2000);
      expect(await jobRow(c, job.id)).toMatchObject({ status: "QUEUED", attempts: attempt, leaseToken: null, leaseExpiresAt: null });
      expect((await orderRow(c, orderId)).status).toBe("ASSIGNED");
      // Not claimable before then, and not in the backlog a (re)connecting lab is sent.
      const early = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
      expect(early.errors).toEqual([
        { code: "NOT_CLAIMABLE", message: `Job ${job.id} is QUEUED for a retry and may be claimed from ${r.job.availableAt}`, field: ["jobId"] },
      ]);
      const due = await c.ds.getRepository(PrintJobEntity).find({ where: { labId: "LAB01", status: "QUEUED" } });
      const backlog = due.filter((j) => j.availableAt.getTime() <= Date.now()).length;
      const watch = watchJobs(c.ws(LAB01_KEY));
      await until("the backlog's events", () => watch.events.length >= backlog, { timeoutMs: 8000 });
      // Time for a stray event to arrive: its absence cannot be awaited.
      await new Promise((res) => setTimeout(res, 300));
      expect(watch.events.map((e) => e.id)).not.toContain(job.id);
      watch.dispose();
      // Time passes (the delay is skipped in the database): claimable again.
      await poke(c, PrintJobEntity, { id: job.id }, { availableAt: new Date(Date.now() - 1000) });
    }
    const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    expect((await c.gql(COMPLETE, { id: job.id, token }, LAB01_KEY)).data!.completePrintJob.job).toMatchObject({ status: "DONE", attempts: 2 });
    expect((await orderRow(c, orderId)).status).toBe("PRINTED");
  });

  async function noticesOf(token: string, jobId: string): Promise<Array<{ kind: string; message: string }>> {
    const r = await c.gql(`{ notifications(first: 200) { kind message } }`, {}, token);
    return (r.data!.notifications as Array<{ kind: string; message: string }>).filter((n) => n.message.includes(jobId));
  }

  it("fails a job for good when the lab says so: the order FAILED, the shop's, group's and center admins told", async () => {
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
    const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    const r = (await c.gql(FAIL, { id: job.id, token, reason: "printer head broken", retryable: false }, LAB01_KEY)).data!.failPrintJob;
    expect(r.errors).toEqual([]);
    expect(r.job).toMatchObject({ id: job.id, status: "FAILED", attempts: 1, lastError: "printer head broken" });
    expect(await jobRow(c, job.id)).toMatchObject({ status: "FAILED", attempts: 1, lastError: "printer head broken", leaseExpiresAt: null });
    expect((await orderRow(c, orderId)).status).toBe("FAILED");
    const message = `Print job ${job.id} of order ${orderId} failed at lab LAB01 after 1 attempt: printer head broken`;
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], job.id)).toEqual([{ kind: "PRINT_JOB_FAILED", message }]);
    for (const who of ["groupB", "shop2", "customer"]) expect(await noticesOf(t[who], job.id)).toEqual([]);
    // The same failure again answers the job again and tells nobody twice.
    const again = (await c.gql(FAIL, { id: job.id, token, reason: "printer head broken", retryable: false }, LAB01_KEY)).data!.failPrintJob;
    expect(again).toEqual(r);
    for (const who of ["center", "groupA", "shop1"]) expect(await noticesOf(t[who], job.id)).toHaveLength(1);
    // A failed job is not claimable.
    expect((await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.errors[0]).toMatchObject({ code: "NOT_CLAIMABLE" });
  });

  it("fails a job for good at PRINT_JOB_MAX_ATTEMPTS (5), even when the failure is retryable", async () => {
    expect(c.config.printJobMaxAttempts).toBe(5);
    const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP02", [a4(1)]));
    const lab = "lab02-key-0123456789abcdef";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const token = (await c.gql(CLAIM, { id: job.id }, lab)).data!.claimPrintJob.leaseToken;
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      const r = (await c.gql(FAIL, { id: job.id, token, reason: `toner ${attempt}`, retryable: true }, lab)).data!.failPrintJob;
      expect(r.errors).toEqual([]);
      expect(r.job).toMatchObject({ status: attempt < 5 ? "QUEUED" : "FAILED", attempts: attempt });
      expect((await orderRow(c, orderId)).status).toBe(attempt < 5 ? "ASSIGNED" : "FAILED");
      if (attempt < 5) await poke(c, PrintJobEntity, { id: job.id }, { availableAt: new Date(Date.now() - 1000) });
    }
    const message = `Print job ${job.id} of order ${orderId} failed at lab LAB02 after 5 attempts: toner 5`;
    for (const who of ["center", "groupA", "shop2"]) expect(await noticesOf(t[who], job.id)).toEqual([{ kind: "PRINT_JOB_FAILED", message }]);
    for (const who of ["groupB", "shop1", "customer"]) expect(await noticesOf(t[who], job.id)).toEqual([]);
  });

  describe("who may", () => {
    const ops = (jobId: string, token: string) => [
      { name: "printJob", query: `query($id: ID!) { printJob(id: $id) { id } }`, vars: { id: jobId } },
      { name: "claimPrintJob", query: CLAIM, vars: { id: jobId } },
      { name: "completePrintJob", query: COMPLETE, vars: { id: jobId, token } },
      { name: "failPrintJob", query: FAIL, vars: { id: jobId, token, reason: "x", retryable: false } },
      {
        name: "renewPrintJobLease",
        query: `mutation($id: ID!, $token: String!) { renewPrintJobLease(jobId: $id, leaseToken: $token) { job { id } errors { code message field } } }`,
        vars: { id: jobId, token },
      },
    ];

    it("keeps every lab operation to the job's own lab: people FORBIDDEN, anonymous UNAUTHENTICATED, other labs nothing", async () => {
      const { orderId, job } = await placeAndConfirm(c, t.customer, pickup("SP01", [a4(1)]));
      const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
      const held = await jobRow(c, job.id);
      const heldOrder = await orderRow(c, orderId);
      const people: MatrixCaller[] = [
        ["anonymous", () => null, "UNAUTHENTICATED"],
        ["customer", () => t.customer, "FORBIDDEN"],
        ["shop admin", () => t.shop1, "FORBIDDEN"],
        ["group admin", () => t.groupA, "FORBIDDEN"],
        ["center admin", () => t.center, "FORBIDDEN"],
      ];
      const operations: MatrixOperation[] = ops(job.id, token).map((op) => ({
        op: op.name,
        send: (_v, bearer) => graphqlAttempt(c, op.query, op.name, op.vars, bearer),
      }));
      const snapshot = async () => [await jobRow(c, job.id), await orderRow(c, orderId)];
      for (const cell of authzMatrix({ operations, callers: people, snapshot })) await cell.run();
      for (const op of ops(job.id, token)) {
        // Another lab: the job does not exist for it.
        const other = await c.gql(op.query, op.vars, LAB02_KEY);
        expect(other.errors).toBeUndefined();
        if (op.name === "printJob") expect(other.data).toEqual({ printJob: null });
        else
          expect(other.data![op.name]).toMatchObject({ job: null, errors: [{ code: "NOT_FOUND", message: `No job ${job.id} of this lab`, field: ["jobId"] }] });
      }
      expect(await jobRow(c, job.id)).toEqual(held);
      expect(await orderRow(c, orderId)).toEqual(heldOrder);
      await expect(nextEvent(c.ws(t.center), SUB).value).rejects.toThrow(/FORBIDDEN/);
    });
  });
});

describe("a lab's presence (LAB_ONLINE_GRACE_SECONDS=3: a heartbeat every second)", () => {
  it("writes the last-seen time of every lab connected here in one statement per heartbeat period, however many subscriptions each holds", async () => {
    const c = await startCenter({ env: { LAB_ONLINE_GRACE_SECONDS: "3" } });
    const clients: Client[] = [];
    try {
      const watches = [];
      for (const key of [LAB01_KEY, LAB01_KEY, LAB01_KEY, LAB02_KEY, LAB02_KEY]) {
        const client = c.ws(key);
        clients.push(client);
        watches.push(watchJobs(client));
      }
      const customer = await c.login("customer", "customer-pass");
      const jobs = [(await placeAndConfirm(c, customer, pickup("SP01", [a4(1)]))).job, (await placeAndConfirm(c, customer, pickup("SP02", [a4(1)]))).job];
      for (const [i, w] of watches.entries()) await w.waitFor((j) => j.id === jobs[i < 3 ? 0 : 1].id);
      expect(c.server.services.presence.connectedLabs().sort()).toEqual(["LAB01", "LAB02"]);
      const writes: string[] = [];
      queryCounter.recent = writes;
      // The heartbeats are counted over a span of time: the time must pass.
      await new Promise((r) => setTimeout(r, 3500));
      queryCounter.recent = null;
      const seen = writes.filter((q) => /^UPDATE .labs. SET .last_seen_at./.test(q));
      // A heartbeat a second for the process: 3.5 s give about three statements, each naming both
      // labs; a heartbeat per subscription would be about seventeen.
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.length).toBeLessThanOrEqual(4);
      for (const labId of ["LAB01", "LAB02"]) {
        const lab = await c.ds.getRepository(LabEntity).findOneByOrFail({ id: labId });
        expect(Date.now() - lab.lastSeenAt!.getTime()).toBeLessThan(2500);
      }
      for (const w of watches) w.dispose();
    } finally {
      queryCounter.recent = null;
      for (const client of clients) await client.dispose();
      await c.stop();
    }
  });
});

describe("print jobs (lease of 1 s: the sweeper)", () => {
  let c: TestCenter;
  let customer: string;

  beforeAll(async () => {
    c = await startCenter({ env: { PRINT_JOB_LEASE_SECONDS: "1" } });
    customer = await c.login("customer", "customer-pass");
    expect((await c.gql(`{ printJob(id: "none") { id } }`, {}, LAB01_KEY)).data).toEqual({ printJob: null });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("puts a job whose lease ran out back in the queue, rings the lab again, and refuses the old token", async () => {
    const watch = watchJobs(c.ws(LAB01_KEY));
    const { orderId, job } = await placeAndConfirm(c, customer, pickup("SP01", [a4(1, ["IMG-C01"])]));
    await watch.waitFor((j) => j.id === job.id && j.attempts === 0);
    const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(claim.errors).toEqual([]);
    expect(Date.parse(claim.leaseExpiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    expect((await orderRow(c, orderId)).status).toBe("PRINTING");

    // The daemon goes quiet; within a few sweeps the job is back and rung.
    expect(await watch.waitFor((j) => j.id === job.id && j.attempts === 1)).toEqual({ id: job.id, orderId, status: "QUEUED", attempts: 1 });
    expect(await jobRow(c, job.id)).toMatchObject({
      status: "QUEUED",
      attempts: 1,
      leaseToken: null,
      leaseExpiresAt: null,
      lastError: "the lease of 1 s ran out",
    });
    expect((await orderRow(c, orderId)).status).toBe("ASSIGNED");
    const stale = (await c.gql(COMPLETE, { id: job.id, token: claim.leaseToken }, LAB01_KEY)).data!.completePrintJob;
    expect(stale).toEqual({
      job: null,
      errors: [{ code: "LEASE_LOST", message: `This lease on job ${job.id} is not (or no longer) held: the job is QUEUED`, field: ["leaseToken"] }],
    });
    expect((await c.gql(FAIL, { id: job.id, token: claim.leaseToken, reason: "x", retryable: false }, LAB01_KEY)).data!.failPrintJob.errors[0].code).toBe(
      "LEASE_LOST",
    );

    // Claimed again with a new lease, and completed in time.
    const again = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(again.errors).toEqual([]);
    expect(again.leaseToken).not.toBe(claim.leaseToken);
    expect((await c.gql(COMPLETE, { id: job.id, token: again.leaseToken }, LAB01_KEY)).data!.completePrintJob.job).toMatchObject({
      status: "DONE",
      attempts: 1,
    });
    expect((await orderRow(c, orderId)).status).toBe("PRINTED");
    watch.dispose();
  });

  it("rings the lab when a retry's delay is over", async () => {
    const watch = watchJobs(c.ws(LAB01_KEY));
    const { job } = await placeAndConfirm(c, customer, pickup("SP01", [a4(1)]));
    await watch.waitFor((j) => j.id === job.id);
    const token = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.leaseToken;
    const r = (await c.gql(FAIL, { id: job.id, token, reason: "out of paper", retryable: true }, LAB01_KEY)).data!.failPrintJob;
    expect(r.job).toMatchObject({ status: "QUEUED", attempts: 1 });
    // Time for a (wrong) early ring to arrive: its absence cannot be awaited.
    await new Promise((res) => setTimeout(res, 1200));
    expect(watch.events.filter((e) => e.id === job.id && e.attempts === 1)).toEqual([]); // not due: not rung
    // The delay ends soon (shortened in the database); the sweeper rings it then.
    await poke(c, PrintJobEntity, { id: job.id }, { availableAt: new Date(Date.now() + 300) });
    await watch.waitFor((j) => j.id === job.id && j.attempts === 1, 5000);
    const claim = (await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob;
    expect(claim.errors).toEqual([]);
    expect((await c.gql(COMPLETE, { id: job.id, token: claim.leaseToken }, LAB01_KEY)).data!.completePrintJob.errors).toEqual([]);
    watch.dispose();
  });

  it("fails a job whose leases keep running out at PRINT_JOB_MAX_ATTEMPTS, and says so", async () => {
    const { orderId, job } = await placeAndConfirm(c, customer, pickup("SP01", [a4(1)]));
    await poke(c, PrintJobEntity, { id: job.id }, { attempts: 4 });
    expect((await c.gql(CLAIM, { id: job.id }, LAB01_KEY)).data!.claimPrintJob.errors).toEqual([]);
    await until("the lease to run out", async () => (await jobRow(c, job.id)).status !== "LEASED", { timeoutMs: 8000, intervalMs: 100 });
    expect(await jobRow(c, job.id)).toMatchObject({ status: "FAILED", attempts: 5, leaseToken: null, lastError: "the lease of 1 s ran out" });
    expect((await orderRow(c, orderId)).status).toBe("FAILED");
    const notices = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "PRINT_JOB_FAILED" } });
    expect(notices.map((n) => n.userId).sort()).toEqual(["U000", "U001", "U010"]);
    expect(notices[0].message).toBe(`Print job ${job.id} of order ${orderId} failed at lab LAB01 after 5 attempts: the lease of 1 s ran out`);
  });
});
