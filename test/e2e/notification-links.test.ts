/**
 * Notices carry typed links (order, product, lab, shop, shop group) beside their message, filled
 * where the notice is made; the linked objects are read as the reader may see them, in batches (a
 * page of twenty notices costs the statements of a page of three). And who sees which object field
 * of the graph, per role.
 */
import { leastStatements, loginPeople, startCenter, type TestCenter } from "../support/center";
import { authzMatrix, type Attempt, type MatrixOperation } from "../support/authz-matrix";
import { uploadPng } from "../support/images";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const AT = new Date("2026-04-01T09:00:00Z");

let c: TestCenter;
const t: Record<string, string> = {};
let orderId: string;
let photo: string;

const LINKS = `kind orderId order { id shopId } productId product { id } labId lab { id } shopId shop { id } shopGroupId shopGroup { id }`;
const NOTICES = `query($first: Int) { notificationsConnection(first: $first) { edges { node { id ${LINKS} } } } }`;
type Notice = Record<string, unknown> & { id: string; kind: string };
const notices = async (who: string, first = 100): Promise<Notice[]> => {
  const r = await c.gql(NOTICES, { first }, t[who]);
  expect(r.errors).toBeUndefined();
  return r.data!.notificationsConnection.edges.map((e: { node: Notice }) => e.node);
};
const ofKind = async (who: string, kind: string) => (await notices(who)).filter((n) => n.kind === kind);

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "customer", "groupA", "groupB", "shop1", "shop2"]));
  t.lab01 = LAB01_KEY;
  photo = (await uploadPng(c.url, t.customer, 7)).id;
  const placed = await c.gql(
    `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code } } }`,
    { input: { shopId: "SP01", fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: photo }] }] } },
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
});
afterAll(async () => {
  await c?.stop();
});

describe("links filled where a notice is made", () => {
  it("a product renamed links the product (a change for everyone: no shop or group)", async () => {
    const r = await c.gql(`mutation { updateProduct(id: "P02", input: { name: "Renamed" }) { errors { code } } }`, {}, t.center);
    expect(r.data!.updateProduct.errors).toEqual([]);
    for (const who of ["shop1", "groupB"]) {
      const [n] = await ofKind(who, "PRODUCT_UPDATED");
      expect([who, n]).toEqual([
        who,
        {
          id: n.id,
          kind: "PRODUCT_UPDATED",
          orderId: null,
          order: null,
          productId: "P02",
          product: { id: "P02" },
          labId: null,
          lab: null,
          shopId: null,
          shop: null,
          shopGroupId: null,
          shopGroup: null,
        },
      ]);
    }
  });

  it("a lab corrected links the lab and its shop", async () => {
    const r = await c.gql(`mutation { updateLab(id: "LAB01", input: { capacitySheetsPerHour: 1300 }) { errors { code } } }`, {}, t.center);
    expect(r.data!.updateLab.errors).toEqual([]);
    const [n] = await ofKind("shop1", "LAB_UPDATED");
    expect(n).toMatchObject({ labId: "LAB01", lab: { id: "LAB01" }, shopId: "SP01", shop: { id: "SP01" }, orderId: null, productId: null, shopGroupId: null });
  });

  it("a failed print job links its order, lab and shop; the center admin reads them all", async () => {
    const jobId = (await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId })).id;
    const claim = await c.gql(`mutation($id: ID!) { claimPrintJob(jobId: $id) { leaseToken errors { code } } }`, { id: jobId }, LAB01_KEY);
    expect(claim.data!.claimPrintJob.errors).toEqual([]);
    const fail = await c.gql(
      `mutation($id: ID!, $token: String!) { failPrintJob(jobId: $id, leaseToken: $token, reason: "jammed", retryable: false) { errors { code } } }`,
      { id: jobId, token: claim.data!.claimPrintJob.leaseToken },
      LAB01_KEY,
    );
    expect(fail.data!.failPrintJob.errors).toEqual([]);
    for (const who of ["center", "shop1", "groupA"]) {
      const [n] = await ofKind(who, "PRINT_JOB_FAILED");
      expect([who, n]).toEqual([
        who,
        {
          id: n.id,
          kind: "PRINT_JOB_FAILED",
          orderId,
          order: { id: orderId, shopId: "SP01" },
          productId: null,
          product: null,
          labId: "LAB01",
          lab: { id: "LAB01" },
          shopId: "SP01",
          shop: { id: "SP01" },
          shopGroupId: null,
          shopGroup: null,
        },
      ]);
    }
  });
});

describe("links as the reader may see them", () => {
  it("gives ids always, objects only within the reader's scope; a notice from before links has none", async () => {
    await c.ds.getRepository(NotificationEntity).insert([
      // Shop 2's admin told of shop 1's order and lab (outside their scope), and of their own group.
      {
        id: "N-FOREIGN",
        userId: "U002",
        kind: "TEST",
        message: "m",
        actorUserId: null,
        createdAt: AT,
        readAt: null,
        orderId,
        labId: "LAB01",
        shopId: "SP01",
        shopGroupId: "SG01",
        productId: "P01",
      },
      // Made before links existed: every link null.
      { id: "N-OLD", userId: "U002", kind: "OLD", message: "m", actorUserId: null, createdAt: new Date(AT.getTime() - 1000), readAt: null },
    ]);
    const [foreign, old] = (await notices("shop2")).filter((n) => n.id === "N-FOREIGN" || n.id === "N-OLD");
    expect(foreign).toEqual({
      id: "N-FOREIGN",
      kind: "TEST",
      orderId,
      order: null,
      productId: "P01",
      product: { id: "P01" },
      labId: "LAB01",
      lab: null,
      shopId: "SP01",
      shop: null,
      shopGroupId: "SG01",
      shopGroup: { id: "SG01" },
    });
    expect(old).toEqual({
      id: "N-OLD",
      kind: "OLD",
      orderId: null,
      order: null,
      productId: null,
      product: null,
      labId: null,
      lab: null,
      shopId: null,
      shop: null,
      shopGroupId: null,
      shopGroup: null,
    });
  });
});

describe("batches, not one read per notice", () => {
  it("reads 20 notices with all their links in the statements of 3", async () => {
    const labs = ["LAB01", "LAB02"];
    const shops = ["SP01", "SP02"];
    const products = ["P01", "P02", "P03", "P04", "P05"];
    const future = Date.now() + 24 * 3600_000;
    await c.ds.getRepository(NotificationEntity).insert(
      Array.from({ length: 20 }, (_, i) => ({
        id: `N-BATCH-${String(i).padStart(2, "0")}`,
        userId: "U010",
        kind: "TEST",
        message: `batch ${i}`,
        actorUserId: null,
        createdAt: new Date(future + i * 1000), // newer than every notice the tests above made
        readAt: null,
        orderId: i % 3 === 0 ? orderId : null,
        labId: labs[i % 2],
        shopId: shops[i % 2],
        shopGroupId: "SG01",
        productId: products[i % 5],
      })),
    );
    const cost = async (first: number) =>
      (
        await leastStatements(2, async () => {
          const r = await c.gql(NOTICES, { first }, t.groupA);
          expect(r.errors).toBeUndefined();
          const nodes = r.data!.notificationsConnection.edges.map((e: { node: Notice }) => e.node);
          expect(nodes).toHaveLength(first);
          expect(nodes.every((n: Notice) => n.lab !== null && n.shop !== null && n.product !== null && n.shopGroup !== null)).toBe(true);
          return r;
        })
      ).count;
    const small = await cost(3);
    const large = await cost(20);
    expect(large).toBe(small);
    // The page, then one batch each for orders, products, labs (and their services), shops, groups,
    // and the caller's own rows: ten at most.
    expect(large).toBeLessThanOrEqual(10);
  });
});

describe("who sees which object field", () => {
  /** A field read; its code is the error's, or NULL when the field (or its parent) came back null. */
  type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  type Op = MatrixOperation<void, unknown>;
  const op = (name: string, query: () => string, fieldOf: (data: Data) => unknown): Op => ({
    op: name,
    async send(_v, bearer): Promise<Attempt> {
      const r = await c.gql(query(), {}, bearer);
      if (r.errors) return { code: (r.errors[0].extensions?.code as string) ?? "ERROR", value: null };
      const value = fieldOf(r.data!) ?? null;
      return { code: value === null ? "NULL" : null, value };
    },
  });
  // Order fields read the order placed above (shop 1, group A, lab 1, the customer's image).
  const ORDER = () => `{ order(id: "${orderId}") { shop { id } lab { id } subOrders { items { image { id thumbnailUrl originalUrl } } } } }`;
  const NOTICE = (fields: string) => () => `{ notificationsConnection(first: 100) { edges { node { ${fields} } } } }`;
  const firstLinked = (d: Data, field: string) => (d.notificationsConnection.edges as Array<{ node: Data }>).find((e) => e.node[field])?.node[field];
  const operations: Op[] = [
    op("Order.shop", ORDER, (d) => d.order?.shop),
    op("Order.lab", ORDER, (d) => d.order?.lab),
    op("OrderItem.image", ORDER, (d) => d.order?.subOrders[0].items[0].image),
    op(
      "PriceRow.product",
      () => `{ priceRows(productId: "P03", shopGroupId: "SG02") { product { id } } }`,
      (d) => d.priceRows[0]?.product,
    ),
    op(
      "PriceRow.shopGroup",
      () => `{ priceRows(productId: "P01", shopGroupId: "SG01") { shopGroup { id } } }`,
      (d) => d.priceRows[0]?.shopGroup,
    ),
    op(
      "ShopGroup.shopsConnection",
      () => `{ shopGroups { id shopsConnection(first: 5) { edges { node { id } } } } }`,
      (d) => d.shopGroups.find((g: { id: string }) => g.id === "SG02")?.shopsConnection.edges[0],
    ),
    op("Notification.order", NOTICE("order { id }"), (d) => firstLinked(d, "order")),
    op("Notification.lab", NOTICE("lab { id }"), (d) => firstLinked(d, "lab")),
  ];
  const expected: Record<string, Record<string, string>> = {
    //                         anonymous          customer  shop2   groupB  shop1      groupA     center     lab01
    "Order.shop": {
      anonymous: "UNAUTHENTICATED",
      customer: "allowed",
      shop2: "NULL",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "allowed",
    },
    "Order.lab": {
      anonymous: "UNAUTHENTICATED",
      customer: "NULL",
      shop2: "NULL",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "allowed",
    },
    "OrderItem.image": {
      anonymous: "UNAUTHENTICATED",
      customer: "allowed",
      shop2: "NULL",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "NULL",
    },
    "PriceRow.product": {
      anonymous: "UNAUTHENTICATED",
      customer: "FORBIDDEN",
      shop2: "NULL",
      groupB: "allowed",
      shop1: "NULL",
      groupA: "NULL",
      center: "allowed",
      lab01: "FORBIDDEN",
    },
    "PriceRow.shopGroup": {
      anonymous: "UNAUTHENTICATED",
      customer: "FORBIDDEN",
      shop2: "allowed",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "FORBIDDEN",
    },
    "ShopGroup.shopsConnection": {
      anonymous: "allowed",
      customer: "allowed",
      shop2: "NULL",
      groupB: "allowed",
      shop1: "NULL",
      groupA: "NULL",
      center: "allowed",
      lab01: "NULL",
    },
    "Notification.order": {
      anonymous: "UNAUTHENTICATED",
      customer: "NULL",
      shop2: "NULL",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "NULL",
    },
    "Notification.lab": {
      anonymous: "UNAUTHENTICATED",
      customer: "NULL",
      shop2: "NULL",
      groupB: "NULL",
      shop1: "allowed",
      groupA: "allowed",
      center: "allowed",
      lab01: "NULL",
    },
  };
  const cells = authzMatrix<Op>({
    operations,
    callers: ["anonymous", "customer", "shop2", "groupB", "shop1", "groupA", "center", "lab01"].map((who) => [
      who,
      () => (who === "anonymous" ? null : t[who]),
      (o: Op) => expected[o.op][who],
    ]),
    title: (o, who, outcome) => `${o.op} as ${who}: ${outcome === "allowed" ? "the object" : outcome === "NULL" ? "null" : `${String(outcome)}`}`,
  });
  for (const cell of cells) it(cell.title, cell.run);
});
