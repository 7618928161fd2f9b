/**
 * Print sizes end to end: the center admin states what a service prints on; a quote and the order
 * placed with it flag an image with too few pixels for it (LOW_RESOLUTION, a warning) and none for
 * a large one; the order keeps the customer's reference and is due by its speed; a real lab daemon
 * prints on the order's size and writes a ticket naming the shop, the reference, the due time and
 * the warning.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ServiceEntity } from "../../src/catalog/service.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { uploadPng } from "../support/images";
import { startLabDaemon, type LabDaemon } from "../support/lab-daemon";
import { until } from "../support/until";

const ERR = "errors { code message field }";
const SIZE = "printSize { name widthMm heightMm borderless fit }";
const UPDATE = `mutation($id: ID!, $input: UpdateServiceInput!) { updateService(id: $id, input: $input) { service { id name ${SIZE} } ${ERR} } }`;
const CREATE = `mutation($input: CreateServiceInput!) { createService(input: $input) { service { id name ${SIZE} } ${ERR} } }`;
const WARN = "warnings { code itemIndex imageId dpi minDpi message }";
const QUOTE = `query($input: OrderInput!) { quote(input: $input) { quote { total subOrders { serviceId ${SIZE} ${WARN} } } ${ERR} } }`;
const ORDER_FIELDS = `id status total confirmedAt dueAt customerReference quote { subOrders { serviceId ${WARN} } } subOrders { serviceId ${SIZE} items { imageId ${WARN} } }`;
const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { ${ORDER_FIELDS} } ${ERR} } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id status } ${ERR} } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;

const LAB01_KEY = "lab01-key-0123456789abcdef";
const POSTCARD = { name: "POSTCARD", widthMm: 100, heightMm: 148, borderless: true, fit: "FILL" };
const HOUR = 3600_000;

describe("print sizes, the print check and the ticket", () => {
  let c: TestCenter;
  let t: Record<string, string>;
  let daemon: LabDaemon | null = null;
  const sizesInDb = async () =>
    (await c.ds.getRepository(ServiceEntity).find({ order: { id: "ASC" } })).map((s) => [s.id, s.printSizeName, s.printWidthMm, s.printHeightMm, s.printFit]);

  beforeAll(async () => {
    c = await startCenter();
    t = await loginPeople(c, ["center", "groupA", "shop1", "customer"]);
  });
  afterAll(async () => {
    await daemon?.stop();
    await c?.stop();
  });

  it("the center admin states a named or a custom size; faults name the field and write nothing; other roles may not", async () => {
    const set = await c.gql(UPDATE, { id: "SV02", input: { printSize: { name: "postcard", borderless: true } } }, t.center);
    expect(set.data!.updateService).toEqual({ service: { id: "SV02", name: "Postcard printing", printSize: POSTCARD }, errors: [] });

    const custom = await c.gql(CREATE, { input: { id: "SV09", name: "Square prints", printSize: { widthMm: 127, heightMm: 127.5, fit: "FIT" } } }, t.center);
    expect(custom.data!.createService).toEqual({
      service: { id: "SV09", name: "Square prints", printSize: { name: null, widthMm: 127, heightMm: 127.5, borderless: false, fit: "FIT" } },
      errors: [],
    });

    const before = await sizesInDb();
    const faults: Array<[object, string, string[]]> = [
      [{ name: "A9" }, "UNKNOWN_PRINT_SIZE", ["input", "printSize", "name"]],
      [{ name: "L", widthMm: 89 }, "INVALID_PRINT_SIZE", ["input", "printSize", "name"]],
      [{ widthMm: 100 }, "INVALID_PRINT_SIZE", ["input", "printSize", "heightMm"]],
      [{ widthMm: 100.05, heightMm: 148 }, "INVALID_PRINT_SIZE", ["input", "printSize", "widthMm"]],
      [{ widthMm: 100, heightMm: 6000 }, "INVALID_PRINT_SIZE", ["input", "printSize", "heightMm"]],
      [{}, "INVALID_PRINT_SIZE", ["input", "printSize"]],
    ];
    for (const [printSize, code, field] of faults) {
      const r = await c.gql(UPDATE, { id: "SV01", input: { name: "Renamed", printSize } }, t.center);
      expect([r.data!.updateService.service, r.data!.updateService.errors.map((e: any) => [e.code, e.field])]).toEqual([null, [[code, field]]]);
    }
    const created = await c.gql(CREATE, { input: { id: "SV10", name: "Bad", printSize: { name: "A9" } } }, t.center);
    expect(created.data!.createService.errors.map((e: any) => [e.code, e.field])).toEqual([["UNKNOWN_PRINT_SIZE", ["input", "printSize", "name"]]]);

    for (const [who, code] of [
      [null, "UNAUTHENTICATED"],
      [t.customer, "FORBIDDEN"],
      [t.shop1, "FORBIDDEN"],
      [t.groupA, "FORBIDDEN"],
      [LAB01_KEY, "FORBIDDEN"],
    ] as const) {
      const r = await c.gql(UPDATE, { id: "SV01", input: { printSize: { name: "L" } } }, who);
      expect(r.errors?.[0]?.extensions?.code).toBe(code);
    }
    expect(await sizesInDb()).toEqual(before);
    expect((await c.ds.getRepository(ServiceEntity).findOneByOrFail({ id: "SV01" })).name).toBe("A4 printing");

    // null states no size any more; omitted leaves it.
    await c.gql(UPDATE, { id: "SV09", input: { printSize: null } }, t.center);
    await c.gql(UPDATE, { id: "SV02", input: { name: "Postcards" } }, t.center);
    expect((await sizesInDb()).filter(([id]) => id === "SV02" || id === "SV09")).toEqual([
      ["SV02", "POSTCARD", 100, 148, "FILL"],
      ["SV09", null, null, null, null],
    ]);
  });

  it("flags the small image in the quote and the order (101 dpi under 200), not the large one; the ticket carries it all", async () => {
    const large = await uploadPng(c.url, t.customer, 1, [2000, 1400]);
    const small = await uploadPng(c.url, t.customer, 2, [600, 400]);
    // On POSTCARD (100 x 148 mm), filled: 600 px over 148 mm is 102.97 dpi, 400 px over 100 mm 101.6: 101.
    const warning = {
      code: "LOW_RESOLUTION",
      itemIndex: 1,
      imageId: small.id,
      dpi: 101,
      minDpi: 200,
      message: `Image ${small.id} (600x400 px) prints at 101 dpi on POSTCARD, below 200 dpi: it may look soft`,
    };
    const subOrders = [
      { serviceId: "SV02", sheets: 2, items: [{ imageId: large.id }, { imageId: small.id }] },
      { serviceId: "SV01", sheets: 1, items: [{ imageId: small.id }] },
    ];
    const quoted = await c.gql(QUOTE, { input: { shopId: "SP01", subOrders } }, t.customer);
    expect(quoted.data!.quote.errors).toEqual([]);
    expect(quoted.data!.quote.quote.subOrders).toEqual([
      { serviceId: "SV02", printSize: POSTCARD, warnings: [warning] },
      { serviceId: "SV01", printSize: null, warnings: [] },
    ]);

    const address = { country: "JP", postalCode: "100-0005", city: "Tokyo", line1: "1-1 Marunouchi", recipient: "Dana Example" };
    const input = { labId: "LAB01", fulfilment: { method: "DELIVERY", speed: "EXPRESS", address }, subOrders, customerReference: "  Wedding 12/B  " };
    for (const bad of ["   ", "x".repeat(65), "tab\there"]) {
      const r = await c.gql(PLACE, { input: { ...input, customerReference: bad } }, t.customer);
      expect([r.data!.placeOrder.order, r.data!.placeOrder.errors.map((e: any) => [e.code, e.field])]).toEqual([
        null,
        [["INVALID_CUSTOMER_REFERENCE", ["input", "customerReference"]]],
      ]);
    }
    expect(await c.ds.getRepository(OrderEntity).count()).toBe(0);

    const placed = await c.gql(PLACE, { input }, t.customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const o = placed.data!.placeOrder.order;
    expect([o.status, o.customerReference, o.confirmedAt, o.dueAt]).toEqual(["QUOTED", "Wedding 12/B", null, null]);
    expect(o.quote.subOrders).toEqual([
      { serviceId: "SV02", warnings: [warning] },
      { serviceId: "SV01", warnings: [] },
    ]);
    expect(o.subOrders).toEqual([
      {
        serviceId: "SV02",
        printSize: POSTCARD,
        items: [
          { imageId: large.id, warnings: [] },
          { imageId: small.id, warnings: [warning] },
        ],
      },
      { serviceId: "SV01", printSize: null, items: [{ imageId: small.id, warnings: [] }] },
    ]);

    // A later change of the service does not change the order: its size was frozen with its quote.
    await c.gql(UPDATE, { id: "SV02", input: { printSize: { name: "A4" } } }, t.center);
    const confirmed = await c.gql(CONFIRM, { id: o.id, total: o.total }, t.customer);
    expect(confirmed.data!.confirmOrder.errors).toEqual([]);
    const read = (await c.gql(ORDER, { id: o.id }, t.customer)).data!.order;
    expect(read.subOrders[0].printSize).toEqual(POSTCARD);
    expect(read.subOrders[0].items[1].warnings).toEqual([warning]);
    // Express: due 4 hours (PRINT_DUE_HOURS_EXPRESS) after the confirmation.
    expect(new Date(read.dueAt).getTime() - new Date(read.confirmedAt).getTime()).toBe(4 * HOUR);
    const stored = await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: o.id });
    expect(read.confirmedAt).toBe(stored.confirmedAt!.toISOString());

    // The daemon prints on the order's sizes (no --sheet): POSTCARD for SV02, A4 for SV01 (none stated).
    daemon = startLabDaemon(c.url, LAB01_KEY, ["--dpi", "20"]);
    const folder = path.join(daemon.out, `job-${(await jobOf(c, o.id)).id}`);
    await until("the job printed", async () => (await c.ds.getRepository(OrderEntity).findOneByOrFail({ id: o.id })).status === "PRINTED", {
      timeoutMs: 30000,
      intervalMs: 100,
      detail: daemon.proc.output,
    });
    const ticket = JSON.parse(fs.readFileSync(path.join(folder, "ticket.json"), "utf8"));
    expect(ticket.shop).toEqual({ id: "SP01", name: "Printing shop 1" });
    expect([ticket.customerReference, ticket.confirmedAt, ticket.dueAt]).toEqual(["Wedding 12/B", read.confirmedAt, read.dueAt]);
    expect(ticket.handover).toEqual({
      method: "DELIVERY",
      speed: "EXPRESS",
      recipient: "Dana Example",
      address: { country: "JP", postalCode: "100-0005", region: null, city: "Tokyo", line1: "1-1 Marunouchi", line2: null },
    });
    expect(ticket.services).toEqual([
      { subOrderId: "1", serviceId: "SV02", sheetsOrdered: 2, sheetSize: "POSTCARD", sheetSource: "ORDER", printSize: POSTCARD, pages: 2 },
      { subOrderId: "2", serviceId: "SV01", sheetsOrdered: 1, sheetSize: "A4", sheetSource: "DEFAULT", printSize: null, pages: 1 },
    ]);
    // 100 x 148 mm at 20 dpi: 79 x 117 px; A4 (210 x 297 mm): 165 x 234 px.
    expect(ticket.sheets.map((s: any) => [s.subOrderId, s.size.name, s.size.widthPx, s.size.heightPx])).toEqual([
      ["1", "POSTCARD", 79, 117],
      ["1", "POSTCARD", 79, 117],
      ["2", "A4", 165, 234],
    ]);
    expect(ticket.items.map((i: any) => [i.subOrderId, i.imageId, i.warnings])).toEqual([
      ["1", large.id, []],
      ["1", small.id, [{ code: "LOW_RESOLUTION", dpi: 101, minDpi: 200, message: warning.message }]],
      ["2", small.id, []],
    ]);
  });
});

async function jobOf(c: TestCenter, orderId: string): Promise<{ id: string }> {
  const rows: Array<{ id: string }> = await c.ds.query("SELECT id FROM print_jobs WHERE order_id = ?", [orderId]);
  if (rows.length !== 1) throw new Error(`order ${orderId} has ${rows.length} print jobs`);
  return rows[0];
}
