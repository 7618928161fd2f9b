/**
 * Ids a normalised cache can trust: a browser's Apollo Client (InMemoryCache, keyed on __typename
 * and id) reads two orders with their sub-orders, items and quotes, price rows, a lab's jobs and an
 * admin's notices from a running center, and reads them back from its cache exactly as the center
 * answered them. Were two objects of one type to share an id (two orders' first sub-orders both
 * "1"), the later answer would overwrite the earlier one in the cache and these reads would mix them.
 */
import { ApolloClient, gql, HttpLink, InMemoryCache, type DocumentNode } from "@apollo/client";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { startCenter, type TestCenter } from "../support/center";
import { uploadPng } from "../support/images";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};

/** A client of the center, as a browser or a lab's tooling would hold one, with its own cache. */
function apollo(bearer: string): ApolloClient {
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new HttpLink({ uri: `${c.url}/graphql`, fetch, headers: { authorization: `Bearer ${bearer}` } }),
  });
}

/** The center's own answer, not normalised (no cache involved), to compare the cache with. */
async function straight<T>(bearer: string, query: DocumentNode, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await apollo(bearer).query<T>({ query, variables, fetchPolicy: "no-cache" });
  expect(r.error).toBeUndefined();
  return r.data as T;
}

const ORDER_FIELDS = `
  id status total
  subOrders { id number serviceId sheets items { id imageId } }
  quote { total subOrders { serviceId sheets subtotal lines { priceRowId productId sheets subtotal } } }
  fulfilment { method speed address { postalCode recipient } }`;
const TWO_ORDERS = gql(`query TwoOrders($a: ID!, $b: ID!) { a: order(id: $a) { ${ORDER_FIELDS} } b: order(id: $b) { ${ORDER_FIELDS} } }`);
const ONE_ORDER = gql(`query OneOrder($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`);
const ORDER_PAGE = gql(`query OrderPage { orders(first: 10) { edges { node { id subOrders { id number serviceId sheets items { id imageId } } } } } }`);
const JOB_FIELDS = `id orderId status order { id subOrders { id number serviceId sheets items { id imageId } } fulfilment { method speed } }`;
const TWO_JOBS = gql(`query TwoJobs($a: ID!, $b: ID!) { a: printJob(id: $a) { ${JOB_FIELDS} } b: printJob(id: $b) { ${JOB_FIELDS} } }`);
const ONE_JOB = gql(`query OneJob($id: ID!) { printJob(id: $id) { ${JOB_FIELDS} } }`);
const PRICE_ROWS = gql(
  `query Rows { priceRows(shopGroupId: "SG01", productId: "P05") { id shopGroupId productId validFrom validUntil minSheets maxSheets basicCharge amountCharge } }`,
);
const NOTICES = gql(`query Notices { notifications(first: 50) { id kind message read } }`);

const CREATE_ROW = `mutation($input: PriceRowInput!) { createPriceRow(input: $input) { priceRow { id } errors { code } } }`;
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id } errors { code } } }`;

interface SubOrderRead {
  id: string;
  number: number;
  serviceId: string;
  sheets: number;
  items: Array<{ id: string; imageId: string }>;
}

let photo: string;
const orders: Array<{ id: string; jobId: string }> = [];
const rowIds: string[] = [];

beforeAll(async () => {
  c = await startCenter();
  t.customer = await c.login("customer", "customer-pass");
  t.groupA = await c.login("group-a", "group-a-pass");
  t.shop1 = await c.login("shop-1", "shop-1-pass");
  photo = (await uploadPng(c.url, t.customer, 3)).id;

  // Two sheet-count tiers of group SG01 (the shop admins of SG01 are told of each).
  for (const [minSheets, maxSheets, amountCharge] of [
    [1, 9, 40],
    [10, null, 45],
  ] as const) {
    const input = {
      shopGroupId: "SG01",
      productId: "P05",
      validFrom: "2030-01-01",
      validUntil: "2030-12-31",
      basicCharge: 0,
      amountCharge,
      minSheets,
      maxSheets,
    };
    const r = await c.gql(CREATE_ROW, { input }, t.groupA);
    expect(r.data!.createPriceRow.errors).toEqual([]);
    rowIds.push(r.data!.createPriceRow.priceRow.id);
  }

  // Two orders at LAB01, each with two sub-orders of different sheet counts.
  const inputs = [
    {
      labId: "LAB01",
      fulfilment: { method: "PICKUP" },
      subOrders: [
        { serviceId: "SV01", sheets: 2, items: [{ imageId: photo }, { imageId: "IMG-C01" }] },
        { serviceId: "SV02", sheets: 3, items: [{ imageId: photo }] },
      ],
    },
    {
      labId: "LAB01",
      fulfilment: { method: "DELIVERY", speed: "EXPRESS", address: { country: "JP", postalCode: "100-0005", recipient: "Dana Example" } },
      subOrders: [
        { serviceId: "SV02", sheets: 7, items: [{ imageId: "IMG-C01" }] },
        { serviceId: "SV01", sheets: 5, items: [{ imageId: photo }] },
      ],
    },
  ];
  for (const input of inputs) {
    const placed = await c.gql(PLACE, { input }, t.customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const { id, total } = placed.data!.placeOrder.order;
    const confirmed = await c.gql(CONFIRM, { id, total }, t.customer);
    expect(confirmed.data!.confirmOrder.errors).toEqual([]);
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: id, status: "QUEUED" });
    orders.push({ id, jobId: job.id });
  }
});
afterAll(async () => {
  await c?.stop();
});

/** What each order's sub-orders are, as placed: services and sheets in the order given. */
const expectedSubOrders = () => [
  [
    { number: 1, serviceId: "SV01", sheets: 2, images: [photo, "IMG-C01"] },
    { number: 2, serviceId: "SV02", sheets: 3, images: [photo] },
  ],
  [
    { number: 1, serviceId: "SV02", sheets: 7, images: ["IMG-C01"] },
    { number: 2, serviceId: "SV01", sheets: 5, images: [photo] },
  ],
];

function expectSubOrders(orderId: string, subs: SubOrderRead[], which: 0 | 1): void {
  expect(subs.map((s) => ({ number: s.number, serviceId: s.serviceId, sheets: s.sheets, images: s.items.map((i) => i.imageId) }))).toEqual(
    expectedSubOrders()[which],
  );
  expect(subs.map((s) => s.id)).toEqual([`${orderId}:1`, `${orderId}:2`]);
}

describe("a normalised client cache (Apollo InMemoryCache) over the center's ids", () => {
  it("keeps two orders' sub-orders, items and quotes apart", async () => {
    const [a, b] = orders;
    const client = apollo(t.customer);
    const truth = await straight<{ a: { subOrders: SubOrderRead[] }; b: { subOrders: SubOrderRead[] } }>(t.customer, TWO_ORDERS, { a: a.id, b: b.id });
    expectSubOrders(a.id, truth.a.subOrders, 0);
    expectSubOrders(b.id, truth.b.subOrders, 1);

    // Both orders in one answer, then a page of orders over the same objects.
    const both = await client.query({ query: TWO_ORDERS, variables: { a: a.id, b: b.id }, fetchPolicy: "network-only" });
    expect(both.data).toEqual(truth);
    await client.query({ query: ORDER_PAGE, fetchPolicy: "network-only" });

    // Read back from the cache alone: each order as the center gave it.
    expect(client.readQuery({ query: TWO_ORDERS, variables: { a: a.id, b: b.id } })).toEqual(truth);
    expect(client.readQuery({ query: ONE_ORDER, variables: { id: a.id } })).toEqual({ order: truth.a });
    expect(client.readQuery({ query: ONE_ORDER, variables: { id: b.id } })).toEqual({ order: truth.b });
    expect(client.cache.readFragment({ id: `SubOrder:${a.id}:1`, fragment: gql(`fragment S on SubOrder { sheets serviceId }`) })).toEqual({
      __typename: "SubOrder",
      sheets: 2,
      serviceId: "SV01",
    });
    expect(client.cache.readFragment({ id: `SubOrder:${b.id}:1`, fragment: gql(`fragment S on SubOrder { sheets serviceId }`) })).toEqual({
      __typename: "SubOrder",
      sheets: 7,
      serviceId: "SV02",
    });
    // Every sub-order and item has an entry of its own.
    const keys = Object.keys(client.cache.extract() as object);
    expect(keys.filter((k) => k.startsWith("SubOrder:")).sort()).toEqual(
      [`SubOrder:${a.id}:1`, `SubOrder:${a.id}:2`, `SubOrder:${b.id}:1`, `SubOrder:${b.id}:2`].sort(),
    );
    expect(keys.filter((k) => k.startsWith("OrderItem:"))).toHaveLength(5);
  });

  it("keeps a lab's jobs and their orders apart", async () => {
    const [a, b] = orders;
    const client = apollo(LAB01_KEY);
    const truth = await straight<{ a: { order: { subOrders: SubOrderRead[] } }; b: { order: { subOrders: SubOrderRead[] } } }>(LAB01_KEY, TWO_JOBS, {
      a: a.jobId,
      b: b.jobId,
    });
    expectSubOrders(a.id, truth.a.order.subOrders, 0);
    expectSubOrders(b.id, truth.b.order.subOrders, 1);
    await client.query({ query: TWO_JOBS, variables: { a: a.jobId, b: b.jobId }, fetchPolicy: "network-only" });
    expect(client.readQuery({ query: TWO_JOBS, variables: { a: a.jobId, b: b.jobId } })).toEqual(truth);
    expect(client.readQuery({ query: ONE_JOB, variables: { id: a.jobId } })).toEqual({ printJob: truth.a });
    expect(client.readQuery({ query: ONE_JOB, variables: { id: b.jobId } })).toEqual({ printJob: truth.b });
  });

  it("keeps price rows and notices apart", async () => {
    const rows = apollo(t.groupA);
    const rowTruth = await straight<{ priceRows: Array<{ id: string; minSheets: number; amountCharge: number }> }>(t.groupA, PRICE_ROWS);
    const ours = rowTruth.priceRows.filter((r) => rowIds.includes(r.id)).sort((x, y) => x.minSheets - y.minSheets);
    expect(ours.map((r) => [r.id, r.minSheets, r.amountCharge])).toEqual([
      [rowIds[0], 1, 40],
      [rowIds[1], 10, 45],
    ]);
    await rows.query({ query: PRICE_ROWS, fetchPolicy: "network-only" });
    expect(rows.readQuery({ query: PRICE_ROWS })).toEqual(rowTruth);

    const notices = apollo(t.shop1);
    const noticeTruth = await straight<{ notifications: Array<{ id: string; kind: string; message: string }> }>(t.shop1, NOTICES);
    const created = noticeTruth.notifications.filter((n) => n.kind === "PRICE_CREATED");
    expect(created).toHaveLength(2);
    expect(new Set(created.map((n) => n.id)).size).toBe(2);
    await notices.query({ query: NOTICES, fetchPolicy: "network-only" });
    expect(notices.readQuery({ query: NOTICES })).toEqual(noticeTruth);
  });
});
