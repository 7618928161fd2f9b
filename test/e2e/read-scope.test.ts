/**
 * Reads stay within scope: an admin reads a customer's image (GET /images/<id> and its thumbnail)
 * only when an order of their scope holds it (stock images: any admin); a lab reads an order, its
 * images and their signed downloads only while the order is at that lab. After reassignOrder the
 * old lab's signed download paths stop working at once (they are bound to the print job).
 */
import { startCenter, type TestCenter } from "../support/center";
import { authzMatrix, describeOutcome, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { makePng, uploadPng } from "../support/images";

const KEY = { LAB01: "lab01-key-0123456789abcdef", LAB02: "lab02-key-0123456789abcdef", LAB03: "lab03-key-0123456789abcdef" };

let c: TestCenter;
const t: Record<string, string> = {};
let photo: string; // the customer's, in an order at SP01 (group SG01)
let loose: string; // the customer's, in no order
let orderId: string;
let jobId: string;

const JOB = `query($id: ID!) { printJob(id: $id) { id status order { id labId subOrders { sheets items { imageId } } } images { imageId url sha256 } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id labId } }`;

async function get(url: string, bearer?: string): Promise<{ status: number; code: string | null }> {
  const res = await fetch(c.url + url, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const text = await res.text();
  let code: string | null = null;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    code = null;
  }
  return { status: res.status, code };
}

beforeAll(async () => {
  c = await startCenter();
  for (const [k, login, pw] of [
    ["center", "center", "center-pass-1"],
    ["customer", "customer", "customer-pass"],
    ["groupA", "group-a", "group-a-pass"],
    ["groupB", "group-b", "group-b-pass"],
    ["shop1", "shop-1", "shop-1-pass"],
    ["shop2", "shop-2", "shop-2-pass"],
    ["shop3", "shop-3", "shop-3-pass"],
  ]) {
    t[k] = await c.login(login, pw);
  }
  photo = (await uploadPng(c.url, t.customer, 11)).id;
  loose = (await uploadPng(c.url, t.customer, 12)).id;
  const placed = await c.gql(
    `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code } } }`,
    {
      input: {
        shopId: "SP01",
        labId: "LAB01",
        fulfilment: { method: "PICKUP" },
        subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: photo }, { imageId: "IMG-C01" }] }],
      },
    },
    t.customer,
  );
  expect(placed.data!.placeOrder.errors).toEqual([]);
  orderId = placed.data!.placeOrder.order.id;
  const confirmed = await c.gql(
    `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { labId } errors { code } } }`,
    { id: orderId, total: placed.data!.placeOrder.order.total },
    t.customer,
  );
  expect(confirmed.data!.confirmOrder).toEqual({ order: { labId: "LAB01" }, errors: [] });
  const lab = await c.gql<{ orders: { edges: Array<{ node: { id: string } }> } }>(`{ orders { edges { node { id } } } }`, {}, KEY.LAB01);
  expect(lab.data!.orders.edges.map((e) => e.node.id)).toContain(orderId);
  const jobs = await c.ds.query(`SELECT id FROM print_jobs WHERE order_id = ?`, [orderId]);
  jobId = jobs[0].id;
});
afterAll(async () => {
  await c?.stop();
});

describe("a customer's image, by role", () => {
  const bearerOf = (who: string) => () => (who.startsWith("LAB") ? KEY[who as keyof typeof KEY] : t[who]);
  const read = (op: string, url: () => string): MatrixOperation => ({
    op,
    // A 200 answers no error code at all: its code (null) reads as "allowed".
    send: (_v, bearer) => get(url(), bearer ?? undefined),
  });
  const inOrder: MatrixCaller[] = [
    ["the owner", bearerOf("customer"), { status: 200, code: "allowed" }],
    ["the center admin", bearerOf("center"), { status: 200, code: "allowed" }],
    ["the shop admin of the order's shop", bearerOf("shop1"), { status: 200, code: "allowed" }],
    ["the group admin of the order's group", bearerOf("groupA"), { status: 200, code: "allowed" }],
    ["a shop admin of another shop (same group)", bearerOf("shop2"), { status: 403, code: "FORBIDDEN" }],
    ["a shop admin of another group's shop", bearerOf("shop3"), { status: 403, code: "FORBIDDEN" }],
    ["a group admin of another group", bearerOf("groupB"), { status: 403, code: "FORBIDDEN" }],
    ["a lab", bearerOf("LAB01"), { status: 403, code: "FORBIDDEN" }],
  ];
  const ofOrder = [read("metadata", () => `/images/${photo}`), read("thumbnail", () => `/images/${photo}/thumbnail`)];
  for (const cell of authzMatrix({ operations: ofOrder, callers: inOrder, title: (op, who, o) => `${who}: ${op.op} answers ${describeOutcome(o)}` }))
    it(cell.title, cell.run);

  const inNoOrder: MatrixCaller[] = [
    ["the owner", bearerOf("customer"), { status: 200, code: "allowed" }],
    ["the center admin", bearerOf("center"), { status: 200, code: "allowed" }],
    ["the shop admin of any shop", bearerOf("shop1"), { status: 403, code: "FORBIDDEN" }],
    ["a group admin", bearerOf("groupA"), { status: 403, code: "FORBIDDEN" }],
  ];
  const loose_ = read("metadata", () => `/images/${loose}`);
  for (const cell of authzMatrix({
    operations: [loose_],
    callers: inNoOrder,
    title: (_op, who, o) => `an image in no order: ${who} answers ${describeOutcome(o)}`,
  }))
    it(cell.title, cell.run);

  it("a stock image is readable by every admin (and the owner of nothing)", async () => {
    const png = makePng(8, 8, 3);
    const put = await fetch(`${c.url}/images/STOCK-1`, {
      method: "PUT",
      headers: { authorization: `Bearer ${t.center}`, "content-type": "image/png" },
      body: new Uint8Array(png),
    });
    expect(put.status).toBe(201);
    for (const who of ["center", "shop1", "shop3", "groupB", "customer"]) expect(await get(`/images/STOCK-1`, t[who])).toEqual({ status: 200, code: null });
  });
});

describe("a lab, before and after reassignOrder", () => {
  it("reads the order, its images and downloads them while the order is its; after the move, none of it (old links included)", async () => {
    const before = await c.gql(JOB, { id: jobId }, KEY.LAB01);
    expect(before.errors).toBeUndefined();
    const job = before.data!.printJob;
    expect(job.order).toEqual({ id: orderId, labId: "LAB01", subOrders: [{ sheets: 1, items: [{ imageId: photo }, { imageId: "IMG-C01" }] }] });
    const url = job.images.find((i: { imageId: string }) => i.imageId === photo).url as string;
    expect(url).toMatch(new RegExp(`^/images/${photo}/original\\?`));
    expect((await get(url)).status).toBe(200);
    expect((await c.gql(ORDER, { id: orderId }, KEY.LAB01)).data!.order).toEqual({ id: orderId, labId: "LAB01" });

    const moved = await c.gql(
      `mutation($id: ID!) { reassignOrder(orderId: $id, labId: "LAB02") { order { labId } errors { code } } }`,
      { id: orderId },
      t.center,
    );
    expect(moved.data!.reassignOrder).toEqual({ order: { labId: "LAB02" }, errors: [] });

    // The old lab: the link it was given is refused at once, though its expiry has not come.
    expect(await get(url)).toEqual({ status: 403, code: "JOB_WITHDRAWN" });
    expect((await c.gql(ORDER, { id: orderId }, KEY.LAB01)).data!.order).toBeNull();
    const lab1Orders = await c.gql<{ orders: { edges: Array<{ node: { id: string } }> } }>(`{ orders { edges { node { id } } } }`, {}, KEY.LAB01);
    expect(lab1Orders.data!.orders.edges.map((e) => e.node.id)).not.toContain(orderId);
    // Its withdrawn job still says so (the daemon drops it), with the order's sheets, but no items or images.
    const after = await c.gql(JOB, { id: jobId }, KEY.LAB01);
    expect(after.errors).toBeUndefined();
    expect(after.data!.printJob).toEqual({
      id: jobId,
      status: "FAILED",
      order: { id: orderId, labId: null, subOrders: [{ sheets: 1, items: [] }] },
      images: [],
    });

    // The new lab reads it all.
    const newJob = (await c.ds.query(`SELECT id FROM print_jobs WHERE order_id = ? AND lab_id = 'LAB02'`, [orderId]))[0].id;
    const lab2 = await c.gql(JOB, { id: newJob }, KEY.LAB02);
    expect(lab2.data!.printJob.order.subOrders[0].items).toEqual([{ imageId: photo }, { imageId: "IMG-C01" }]);
    const url2 = lab2.data!.printJob.images.find((i: { imageId: string }) => i.imageId === photo).url as string;
    expect((await get(url2)).status).toBe(200);
    expect((await c.gql(ORDER, { id: orderId }, KEY.LAB02)).data!.order).toEqual({ id: orderId, labId: "LAB02" });
    // A third lab never did.
    expect((await c.gql(ORDER, { id: orderId }, KEY.LAB03)).data!.order).toBeNull();
  });
});
