/**
 * Design templates, light and full (seed 001, claims 5-6), end to end: the center admin registers,
 * corrects and deletes the center's light version (id, name, preview, checksum and size of the full
 * file); lab daemons report which full files they hold; order items name templates and the lab
 * pulls them with its job. Faults come back by code and field with nothing written; every
 * operation has its authorization table. The previews' rules, the check of an order's templates
 * and the notice of a missing template are in test/design-templates/.
 */
import { orderWithTemplates as placeWithTemplates } from "../support/design-templates";
import { createHash, randomBytes } from "node:crypto";
import { loginPeople, startCenter, type GqlResult, type TestCenter } from "../support/center";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type Attempt, type MatrixCaller } from "../support/authz-matrix";
import { makePng } from "../support/images";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "../../src/design-templates/design-template.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { OrderItemEntity } from "../../src/orders/order.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop3", "customer"]));
  t.lab01 = LAB01_KEY;
  t.lab02 = LAB02_KEY;
});
afterAll(async () => {
  await c?.stop();
});

// --- Helpers ----------------------------------------------------------------------------------

const png = (seed = 0) => makePng(8, 6, seed).toString("base64");
const dataUrl = (seed = 0) => `data:image/png;base64,${png(seed)}`;
const jpegB64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString("base64");
/** A PNG whose base64 is exactly this many characters (a multiple of 4: no padding). */
const bigPng = (chars: number) => Buffer.concat([makePng(8, 6), Buffer.alloc((chars * 3) / 4 - makePng(8, 6).length)]).toString("base64");
const sha = () => createHash("sha256").update(randomBytes(16)).digest("hex");

const ERR = "errors { code field message }";
const DT = "designTemplate { id name preview sha256 size updatedAt }";
const OPS = {
  createDesignTemplate: `mutation($input: CreateDesignTemplateInput!) { createDesignTemplate(input: $input) { ${DT} ${ERR} } }`,
  updateDesignTemplate: `mutation($id: ID!, $input: UpdateDesignTemplateInput!) { updateDesignTemplate(id: $id, input: $input) { ${DT} ${ERR} } }`,
  deleteDesignTemplate: `mutation($id: ID!) { deleteDesignTemplate(id: $id) { ${DT} ${ERR} } }`,
  reportLabTemplates: `mutation($templates: [HeldDesignTemplateInput!]!) { reportLabTemplates(templates: $templates) { templates { labId designTemplateId sha256 reportedAt current } ${ERR} } }`,
} as const;
type OpName = keyof typeof OPS;

const run = (op: OpName, variables: Record<string, unknown>, bearer: string | null) => c.gql(OPS[op], variables, bearer);
async function ok(op: OpName, variables: Record<string, unknown>, bearer: string): Promise<any> {
  const r = await run(op, variables, bearer);
  expect(r.errors).toBeUndefined();
  return r.data![op];
}

const templates = () => c.ds.getRepository(DesignTemplateEntity);
const held = () => c.ds.getRepository(LabDesignTemplateEntity);
const service = () => c.server.services.designTemplates;

async function snapshot() {
  return {
    templates: await templates().find({ order: { id: "ASC" } }),
    held: await held().find({ order: { labId: "ASC", designTemplateId: "ASC" } }),
    notifications: await c.ds.getRepository(NotificationEntity).count(),
  };
}

let seq = 0;
const fresh = (prefix: string) => `${prefix}-${String(++seq).padStart(3, "0")}`;

/** A template written straight to the database. */
async function seedTemplate(id = fresh("XT"), sha256 = sha()): Promise<{ id: string; sha256: string }> {
  await templates().insert({ id, name: `Template ${id}`, preview: dataUrl(seq), sha256, size: 1000, updatedAt: new Date() });
  return { id, sha256 };
}

async function readHeld(labId: string, bearer: string) {
  return (await c.gql(`query($l: ID!) { labDesignTemplates(labId: $l) { labId designTemplateId sha256 current } }`, { l: labId }, bearer)).data
    ?.labDesignTemplates;
}

/** An order at LAB01 (or `labId`) whose items name these templates, placed and confirmed by the customer. */
const orderWithTemplates = (ids: Array<string | null>, labId?: string) => placeWithTemplates(c, t.customer, ids, labId);

// =============================================================================================
// Managing templates (the center admin)
// =============================================================================================

describe("registering, correcting and deleting", () => {
  it("registers a template (name trimmed, checksum in lower case), everyone logged in reads it, corrects it, deletes it", async () => {
    const sum = sha().toUpperCase();
    const created = await ok(
      "createDesignTemplate",
      { input: { id: "FRAME-GOLD", name: "  Gold frame ", preview: png(7), sha256: sum, size: 123456 } },
      t.center,
    );
    expect(created).toEqual({
      designTemplate: { id: "FRAME-GOLD", name: "Gold frame", preview: dataUrl(7), sha256: sum.toLowerCase(), size: 123456, updatedAt: expect.any(String) },
      errors: [],
    });
    expect(await templates().findOneByOrFail({ id: "FRAME-GOLD" })).toMatchObject({
      name: "Gold frame",
      preview: dataUrl(7),
      sha256: sum.toLowerCase(),
      size: 123456,
    });
    for (const who of ["customer", "shop1", "lab01"]) {
      const list = (await c.gql("{ designTemplates { id name preview sha256 size } }", {}, t[who])).data!.designTemplates;
      expect(list).toContainEqual({ id: "FRAME-GOLD", name: "Gold frame", preview: dataUrl(7), sha256: sum.toLowerCase(), size: 123456 });
    }
    expect((await c.gql(`{ designTemplate(id: "FRAME-GOLD") { name } }`, {}, t.customer)).data!.designTemplate).toEqual({ name: "Gold frame" });
    expect((await c.gql(`{ designTemplate(id: "frame-gold") { name } }`, {}, t.customer)).data!.designTemplate).toBeNull();
    expect((await c.gql("{ designTemplates { id } }", {}, null)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");

    const next = sha();
    const corrected = await ok(
      "updateDesignTemplate",
      { id: "FRAME-GOLD", input: { name: "Golden frame", preview: `data:image/jpeg;base64,${jpegB64}`, sha256: next, size: 2000 } },
      t.center,
    );
    expect(corrected.errors).toEqual([]);
    expect(corrected.designTemplate).toMatchObject({
      id: "FRAME-GOLD",
      name: "Golden frame",
      preview: `data:image/jpeg;base64,${jpegB64}`,
      sha256: next,
      size: 2000,
    });
    expect(await templates().findOneByOrFail({ id: "FRAME-GOLD" })).toMatchObject({ name: "Golden frame", sha256: next, size: 2000 });

    const deleted = await ok("deleteDesignTemplate", { id: "FRAME-GOLD" }, t.center);
    expect(deleted.designTemplate).toMatchObject({ id: "FRAME-GOLD", name: "Golden frame" });
    expect(await templates().countBy({ id: "FRAME-GOLD" })).toBe(0);
  });

  it("changes nothing (and tells no one) when nothing differs", async () => {
    const { id, sha256 } = await seedTemplate();
    const before = await snapshot();
    const same = await ok("updateDesignTemplate", { id, input: { name: `Template ${id}`, sha256: sha256.toUpperCase(), size: 1000 } }, t.center);
    expect(same.errors).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("tells every group and shop admin of a new file; labs holding the old one hold it no longer", async () => {
    const { id, sha256 } = await seedTemplate();
    expect((await ok("reportLabTemplates", { templates: [{ id, sha256 }] }, LAB01_KEY)).errors).toEqual([]);
    expect(await service().labHasTemplates("LAB01", [id])).toBe(true);
    for (const token of [t.groupA, t.groupB, t.shop1, t.shop3]) await c.gql("mutation { markNotificationsRead { updated } }", {}, token);

    const next = sha();
    await ok("updateDesignTemplate", { id, input: { sha256: next } }, t.center);
    for (const token of [t.groupA, t.groupB, t.shop1, t.shop3]) {
      const inbox = (await c.gql("{ notifications(unreadOnly: true) { kind message } }", {}, token)).data!.notifications;
      expect(inbox).toEqual([
        {
          kind: "DESIGN_TEMPLATE_UPDATED",
          message: `Design template ${id} was corrected by center: a new file (sha256 ${next}); labs holding the old one must fetch it`,
        },
      ]);
    }
    expect(await readHeld("LAB01", t.center)).toContainEqual({ labId: "LAB01", designTemplateId: id, sha256, current: false });
    expect(await service().labHasTemplates("LAB01", [id])).toBe(false);
    expect(await service().missingTemplates("LAB01", [id, id])).toEqual([id]);
  });

  it("refuses to delete a template an open order names, naming the orders; a finished order does not hold it", async () => {
    const { id } = await seedTemplate();
    const open = await orderWithTemplates([id, id]);
    const before = await snapshot();
    expect(await ok("deleteDesignTemplate", { id }, t.center)).toEqual({
      designTemplate: null,
      errors: [{ code: "IN_USE", field: ["id"], message: `Design template ${id} is still used by open orders ${open.orderId}` }],
    });
    expect(await snapshot()).toEqual(before);
    await c.ds.query("UPDATE orders SET status = 'COMPLETED' WHERE id = ?", [open.orderId]);
    expect((await ok("deleteDesignTemplate", { id }, t.center)).errors).toEqual([]);
    // The order keeps the id it named.
    expect((await c.ds.getRepository(OrderItemEntity).findBy({ orderId: open.orderId })).map((i) => i.designTemplateId)).toEqual([id, id]);
  });
});

describe("faults: each reported with its code and field, nothing written", () => {
  beforeAll(async () => {
    await seedTemplate("FRAME-A");
  });
  const input = (over: Record<string, unknown> = {}) => ({ id: fresh("NT"), name: "New", preview: png(), sha256: sha(), size: 10, ...over });
  const cases: Array<[string, OpName, () => Record<string, unknown>, string, string[]]> = [
    ["an id with a space", "createDesignTemplate", () => ({ input: input({ id: "bad id" }) }), "INVALID_ID", ["input", "id"]],
    ["an id taken", "createDesignTemplate", () => ({ input: input({ id: "FRAME-A" }) }), "DUPLICATE_ID", ["input", "id"]],
    ["an id taken in other letter case", "createDesignTemplate", () => ({ input: input({ id: "frame-a" }) }), "DUPLICATE_ID", ["input", "id"]],
    ["an empty name", "createDesignTemplate", () => ({ input: input({ name: " " }) }), "INVALID_NAME", ["input", "name"]],
    [
      "a preview that is not an image",
      "createDesignTemplate",
      () => ({ input: input({ preview: Buffer.from("hello, world").toString("base64") }) }),
      "INVALID_PREVIEW",
      ["input", "preview"],
    ],
    [
      "a preview of 70,000 characters",
      "createDesignTemplate",
      () => ({ input: input({ preview: bigPng(70_000) }) }),
      "PREVIEW_TOO_LARGE",
      ["input", "preview"],
    ],
    ["a checksum of 63 digits", "createDesignTemplate", () => ({ input: input({ sha256: "a".repeat(63) }) }), "INVALID_SHA256", ["input", "sha256"]],
    ["a checksum that is not hex", "createDesignTemplate", () => ({ input: input({ sha256: "g".repeat(64) }) }), "INVALID_SHA256", ["input", "sha256"]],
    ["a size of 0", "createDesignTemplate", () => ({ input: input({ size: 0 }) }), "INVALID_SIZE", ["input", "size"]],
    ["correcting an unknown template", "updateDesignTemplate", () => ({ id: "NOPE", input: { name: "X" } }), "NOT_FOUND", ["id"]],
    ["correcting a template named in other letter case", "updateDesignTemplate", () => ({ id: "frame-a", input: { name: "X" } }), "NOT_FOUND", ["id"]],
    [
      "correcting the preview to an SVG",
      "updateDesignTemplate",
      () => ({ id: "FRAME-A", input: { preview: `data:image/svg+xml;base64,${Buffer.from("<svg/>").toString("base64")}` } }),
      "INVALID_PREVIEW",
      ["input", "preview"],
    ],
    ["correcting the checksum to nothing", "updateDesignTemplate", () => ({ id: "FRAME-A", input: { sha256: "" } }), "INVALID_SHA256", ["input", "sha256"]],
    ["correcting the size to -1", "updateDesignTemplate", () => ({ id: "FRAME-A", input: { size: -1 } }), "INVALID_SIZE", ["input", "size"]],
    ["deleting an unknown template", "deleteDesignTemplate", () => ({ id: "NOPE" }), "NOT_FOUND", ["id"]],
  ];
  for (const [title, op, variables, code, field] of cases) {
    it(`${op}: ${title} -> ${code} at ${field.join(".")}`, async () => {
      const before = await snapshot();
      const payload = await ok(op, variables(), t.center);
      expect(payload).toEqual({ designTemplate: null, errors: [{ code, field, message: expect.any(String) }] });
      expect(await snapshot()).toEqual(before);
    });
  }

  it("reports every fault of one input at once, in field order", async () => {
    const before = await snapshot();
    const payload = await ok("createDesignTemplate", { input: { id: "", name: "", preview: "x", sha256: "x", size: 0 } }, t.center);
    expect(payload.errors.map((e: { code: string }) => e.code)).toEqual(["INVALID_ID", "INVALID_NAME", "INVALID_PREVIEW", "INVALID_SHA256", "INVALID_SIZE"]);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a preview above 256 KiB at the edge", async () => {
    const before = await snapshot();
    const r = await run("createDesignTemplate", { input: input({ preview: "A".repeat(256 * 1024 + 4) }) }, t.center);
    expect(r.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(await snapshot()).toEqual(before);
  });
});

// =============================================================================================
// What the labs hold
// =============================================================================================

describe("reportLabTemplates: what a lab holds", () => {
  let a: { id: string; sha256: string };
  let b: { id: string; sha256: string };
  beforeAll(async () => {
    a = await seedTemplate("HOLD-A");
    b = await seedTemplate("HOLD-B");
  });

  it("replaces the set a lab holds, checksums compared ignoring letter case", async () => {
    const first = await ok(
      "reportLabTemplates",
      {
        templates: [
          { id: b.id, sha256: b.sha256.toUpperCase() },
          { id: a.id, sha256: a.sha256 },
        ],
      },
      LAB02_KEY,
    );
    expect(first).toEqual({
      templates: [
        { labId: "LAB02", designTemplateId: "HOLD-A", sha256: a.sha256, reportedAt: expect.any(String), current: true },
        { labId: "LAB02", designTemplateId: "HOLD-B", sha256: b.sha256, reportedAt: expect.any(String), current: true },
      ],
      errors: [],
    });
    expect((await held().findBy({ labId: "LAB02" })).map((h) => h.designTemplateId).sort()).toEqual(["HOLD-A", "HOLD-B"]);
    expect(await service().labHasTemplates("LAB02", ["HOLD-A", "HOLD-B"])).toBe(true);
    expect(await service().missingTemplates("LAB02", ["HOLD-B", "NOPE", "HOLD-A"])).toEqual(["NOPE"]);
    expect(await service().labHasTemplates("LAB01", ["HOLD-A"])).toBe(false);
    expect(await service().labHasTemplates("LAB01", [])).toBe(true);

    const second = await ok("reportLabTemplates", { templates: [{ id: b.id, sha256: b.sha256 }] }, LAB02_KEY);
    expect(second.templates.map((h: { designTemplateId: string }) => h.designTemplateId)).toEqual(["HOLD-B"]);
    expect((await held().findBy({ labId: "LAB02" })).map((h) => h.designTemplateId)).toEqual(["HOLD-B"]);

    expect((await ok("reportLabTemplates", { templates: [] }, LAB02_KEY)).templates).toEqual([]);
    expect(await held().countBy({ labId: "LAB02" })).toBe(0);
  });

  it("reports unknown ids, duplicates, malformed and mismatched checksums by index, and stores nothing", async () => {
    await ok("reportLabTemplates", { templates: [{ id: a.id, sha256: a.sha256 }] }, LAB02_KEY);
    const before = await snapshot();
    const payload = await ok(
      "reportLabTemplates",
      {
        templates: [
          { id: b.id, sha256: b.sha256 },
          { id: "NOPE", sha256: sha() },
          { id: "hold-a", sha256: a.sha256 },
          { id: b.id, sha256: b.sha256 },
          { id: a.id, sha256: "xyz" },
          { id: a.id, sha256: b.sha256 },
        ],
      },
      LAB02_KEY,
    );
    expect(payload.templates).toBeNull();
    expect(payload.errors).toEqual([
      { code: "UNKNOWN_DESIGN_TEMPLATE", field: ["templates", "1", "id"], message: "No design template NOPE" },
      { code: "UNKNOWN_DESIGN_TEMPLATE", field: ["templates", "2", "id"], message: "No design template hold-a" },
      { code: "DUPLICATE_DESIGN_TEMPLATE", field: ["templates", "3", "id"], message: "Design template HOLD-B is listed twice" },
      { code: "INVALID_SHA256", field: ["templates", "4", "sha256"], message: "sha256 must be 64 hexadecimal digits" },
      { code: "DUPLICATE_DESIGN_TEMPLATE", field: ["templates", "5", "id"], message: "Design template HOLD-A is listed twice" },
    ]);
    const mismatch = await ok("reportLabTemplates", { templates: [{ id: a.id, sha256: b.sha256 }] }, LAB02_KEY);
    expect(mismatch.errors).toEqual([
      {
        code: "CHECKSUM_MISMATCH",
        field: ["templates", "0", "sha256"],
        message: `The lab's copy of design template HOLD-A has sha256 ${b.sha256}, the center's file ${a.sha256}: fetch the current file`,
      },
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses more than 10,000 entries, storing nothing", async () => {
    const before = await snapshot();
    const many = Array.from({ length: 10_001 }, (_, i) => ({ id: `T${i}`, sha256: "0".repeat(64) }));
    const payload = await ok("reportLabTemplates", { templates: many }, LAB02_KEY);
    expect(payload).toEqual({ templates: null, errors: [{ code: "TOO_MANY_TEMPLATES", field: ["templates"], message: expect.any(String) }] });
    expect(await snapshot()).toEqual(before);
  });

  it("shows a lab's templates to the center admin, its group's and shop's admins and itself; to no one else", async () => {
    await ok("reportLabTemplates", { templates: [{ id: a.id, sha256: a.sha256 }] }, LAB01_KEY);
    const row = { labId: "LAB01", designTemplateId: "HOLD-A", sha256: a.sha256, current: true };
    for (const who of ["center", "groupA", "shop1", "lab01"]) expect(await readHeld("LAB01", t[who])).toEqual([row]);
    for (const who of ["groupB", "shop3", "lab02"]) expect(await readHeld("LAB01", t[who])).toEqual([]);
    expect(await readHeld("lab01", t.center)).toEqual([]);
    expect((await c.gql(`{ labDesignTemplates(labId: "LAB01") { labId } }`, {}, t.customer)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(`{ labDesignTemplates(labId: "LAB01") { labId } }`, {}, null)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("goes with its template and with its lab", async () => {
    const gone = await seedTemplate();
    await ok("reportLabTemplates", { templates: [{ id: a.id, sha256: a.sha256 }, gone] }, LAB01_KEY);
    expect((await ok("deleteDesignTemplate", { id: gone.id }, t.center)).errors).toEqual([]);
    expect(await held().countBy({ designTemplateId: gone.id })).toBe(0);
    expect(await held().countBy({ labId: "LAB01", designTemplateId: a.id })).toBe(1);
  });
});

// =============================================================================================
// Orders name templates; the lab pulls them; a missing one tells the admins
// =============================================================================================

describe("orders and print jobs", () => {
  let frame: { id: string; sha256: string };
  beforeAll(async () => {
    frame = await seedTemplate("FRAME-ORDER");
  });

  it("an order item may name a template: stored with the order and pulled by the lab with its job", async () => {
    const { orderId, jobId } = await orderWithTemplates([frame.id, null]);
    expect((await c.ds.getRepository(OrderItemEntity).find({ where: { orderId }, order: { position: "ASC" } })).map((i) => i.designTemplateId)).toEqual([
      frame.id,
      null,
    ]);
    const pulled = await c.gql(
      `query($id: ID!) { printJob(id: $id) { order { subOrders { items { imageId designTemplateId } } } } }`,
      { id: jobId },
      LAB01_KEY,
    );
    expect(pulled.data!.printJob.order.subOrders).toEqual([
      {
        items: [
          { imageId: "IMG-C01", designTemplateId: frame.id },
          { imageId: "IMG-C01", designTemplateId: null },
        ],
      },
    ]);
  });
});

// =============================================================================================
// Authorization: every mutation, every kind of caller
// =============================================================================================

describe("authorization table", () => {
  interface Row {
    op: OpName;
    allowed: (who: string) => boolean;
    prepare: () => Promise<Record<string, any>>;
    applied: (v: Record<string, any>) => Promise<boolean>;
  }
  const center = (who: string) => who === "center";
  const rows: Row[] = [
    {
      op: "createDesignTemplate",
      allowed: center,
      prepare: async () => ({ input: { id: fresh("AT"), name: "New", preview: png(), sha256: sha(), size: 10 } }),
      applied: async (v) => (await templates().countBy({ id: v.input.id })) === 1,
    },
    {
      op: "updateDesignTemplate",
      allowed: center,
      prepare: async () => ({ id: (await seedTemplate()).id, input: { name: "Corrected" } }),
      applied: async (v) => (await templates().findOneByOrFail({ id: v.id })).name === "Corrected",
    },
    {
      op: "deleteDesignTemplate",
      allowed: center,
      prepare: async () => ({ id: (await seedTemplate()).id }),
      applied: async (v) => (await templates().countBy({ id: v.id })) === 0,
    },
    {
      op: "reportLabTemplates",
      allowed: (who) => who === "lab01",
      prepare: async () => ({ templates: [await seedTemplate()] }),
      applied: async (v) => (await held().countBy({ designTemplateId: v.templates[0].id })) === 1,
    },
  ];
  const operations = rows.map((row) => ({
    ...row,
    send: (variables: Record<string, any>, bearer: string | null) => graphqlAttempt(c, OPS[row.op], row.op, variables, bearer),
    whenAllowed: (attempt: Attempt<GqlResult<any>>) => void expectCleanPayload(attempt, row.op),
  }));
  const caller = (title: string, who: string): MatrixCaller<(typeof operations)[number]> => [
    title,
    () => (who === "anonymous" ? null : t[who]),
    (row) => (row.allowed(who) ? "allowed" : who === "anonymous" ? "UNAUTHENTICATED" : "FORBIDDEN"),
  ];
  const callers = [
    caller("anonymous", "anonymous"),
    caller("customer", "customer"),
    caller("shop admin", "shop1"),
    caller("group admin", "groupA"),
    caller("lab key", "lab01"),
    caller("center admin", "center"),
  ];
  for (const cell of authzMatrix({ operations, callers, snapshot })) it(cell.title, cell.run);
});
