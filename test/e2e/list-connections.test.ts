/**
 * Every other list that grows, as a Relay connection beside the contract's plain list: by id (or
 * the row's key), a page at a time, with opaque cursors and bounded `first`; each caller sees on the
 * pages exactly what the plain list shows them, and the same roles are refused.
 */
import { startCenter, loginPeople, type TestCenter } from "../support/center";
import { authzMatrix, type Attempt, type MatrixOperation } from "../support/authz-matrix";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "../../src/design-templates/design-template.entity";
import { ShopPriceAllowanceEntity } from "../../src/pricing/shop-price-allowance.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const AT = new Date("2026-04-01T09:00:00Z");

let c: TestCenter;
const t: Record<string, string> = {};

type Page = { edges: Array<{ cursor: string; node: Record<string, string> }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** A connection, its plain list, the arguments both take, and the key the connection orders by. */
interface Listed {
  conn: string;
  plain: string;
  args: string;
  key: string;
}

const LISTS: Listed[] = [
  { conn: "shopGroupsConnection", plain: "shopGroups", args: "", key: "id" },
  { conn: "shopsConnection", plain: "shops", args: "", key: "id" },
  { conn: "servicesConnection", plain: "services", args: "", key: "id" },
  { conn: "productsConnection", plain: "products", args: "", key: "id" },
  { conn: "templatesConnection", plain: "templates", args: "", key: "id" },
  { conn: "labsConnection", plain: "labs", args: "", key: "id" },
  { conn: "usersConnection", plain: "users", args: "", key: "id" },
  { conn: "priceRowsConnection", plain: "priceRows", args: "", key: "id" },
  { conn: "shopPriceAllowancesConnection", plain: "shopPriceAllowances", args: `shopId: "SP01"`, key: "productId" },
  { conn: "chargedImagesConnection", plain: "chargedImages", args: "", key: "imageId" },
  { conn: "designTemplatesConnection", plain: "designTemplates", args: "", key: "id" },
  { conn: "labApiKeysConnection", plain: "labApiKeys", args: `labId: "LAB01"`, key: "id" },
  { conn: "labDesignTemplatesConnection", plain: "labDesignTemplates", args: `labId: "LAB01"`, key: "designTemplateId" },
];

const connQuery = (l: Listed) =>
  `query($first: Int, $after: String) { ${l.conn}(${l.args}${l.args ? ", " : ""}first: $first, after: $after) { edges { cursor node { ${l.key} } } pageInfo { hasNextPage endCursor } } }`;
const plainQuery = (l: Listed) => `{ ${l.plain}${l.args ? `(${l.args})` : ""} { ${l.key} } }`;

/** Every page of a connection as `bearer`, `first` at a time. */
async function pages(l: Listed, bearer: string, first: number): Promise<Page[]> {
  const out: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const r = await c.gql(connQuery(l), { first, after }, bearer);
    expect([l.conn, r.errors]).toEqual([l.conn, undefined]);
    const page = r.data![l.conn] as Page;
    out.push(page);
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

const keysOf = (l: Listed, ps: Page[]) => ps.flatMap((p) => p.edges.map((e) => e.node[l.key]));

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "customer", "groupA", "groupB", "shop1", "shop2"]));
  t.lab01 = LAB01_KEY;
  await c.ds.getRepository(DesignTemplateEntity).insert(
    ["DT-C", "DT-A", "DT-B"].map((id) => ({
      id,
      name: `Frame ${id}`,
      preview: "data:image/png;base64,iVBORw0KGgo=",
      sha256: "a".repeat(64),
      size: 10,
      updatedAt: AT,
    })),
  );
  await c.ds
    .getRepository(LabDesignTemplateEntity)
    .insert(["DT-C", "DT-A"].map((designTemplateId) => ({ labId: "LAB01", designTemplateId, sha256: "a".repeat(64), reportedAt: AT })));
  await c.ds.getRepository(ShopPriceAllowanceEntity).insert(
    ["P03", "P01", "P02"].map((productId) => ({
      shopId: "SP01",
      productId,
      minBasicCharge: 0,
      maxBasicCharge: 1000,
      minAmountCharge: 0,
      maxAmountCharge: 1000,
    })),
  );
  for (const label of ["second", "third"]) {
    const r = await c.gql(`mutation($l: String!) { createLabApiKey(labId: "LAB01", label: $l) { errors { code } } }`, { l: label }, t.center);
    expect(r.data!.createLabApiKey.errors).toEqual([]);
  }
});
afterAll(async () => {
  await c?.stop();
});

describe("paging through each list", () => {
  // What the center admin reads, in the connection's order: the fixture's rows and the ones added above.
  const exact: Record<string, string[] | number> = {
    shopGroupsConnection: ["SG01", "SG02"],
    shopsConnection: ["SP01", "SP02", "SP03", "SP04"],
    servicesConnection: ["SV01", "SV02", "SV03"],
    productsConnection: ["P01", "P02", "P03", "P04", "P05"],
    templatesConnection: ["T01", "T02", "T03", "T04"],
    labsConnection: ["LAB01", "LAB02", "LAB03", "LAB04"],
    usersConnection: ["U000", "U001", "U002", "U003", "U004", "U010", "U020", "U100"],
    priceRowsConnection: 17,
    shopPriceAllowancesConnection: ["P01", "P02", "P03"],
    chargedImagesConnection: ["IMG-C01"],
    designTemplatesConnection: ["DT-A", "DT-B", "DT-C"],
    labApiKeysConnection: 3,
    labDesignTemplatesConnection: ["DT-A", "DT-C"],
  };

  it.each(LISTS.map((l) => [l.conn, l] as const))("%s: two at a time, each row once, in key order, the plain list's rows", async (_, l) => {
    const ps = await pages(l, t.center, 2);
    const keys = keysOf(l, ps);
    const want = exact[l.conn];
    if (typeof want === "number") expect(keys).toHaveLength(want);
    else expect(keys).toEqual(want);
    expect(keys).toEqual([...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(keys).size).toBe(keys.length);
    // Full pages of two, a last page of what is left, hasNextPage only before the last.
    expect(ps.map((p) => p.edges.length)).toEqual([...Array(Math.ceil(keys.length / 2) - 1).fill(2), keys.length % 2 === 0 ? 2 : 1]);
    expect(ps.map((p) => p.pageInfo.hasNextPage)).toEqual(ps.map((_p, i) => i < ps.length - 1));
    for (const p of ps) expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1].cursor);
    // The same rows as the contract's plain list.
    const plain = await c.gql(plainQuery(l), {}, t.center);
    expect(plain.data![l.plain].map((r: Record<string, string>) => r[l.key]).sort()).toEqual([...keys].sort());
  });

  it.each(LISTS.map((l) => [l.conn, l] as const))("%s: refuses a cursor it did not make (on after) and first outside 1 to 100 (on first)", async (_, l) => {
    const other = Buffer.from(`${AT.getTime()}:N-01`).toString("base64url"); // a time-ordered connection's cursor
    for (const after of ["not-a-cursor", other, ""]) {
      const r = await c.gql(connQuery(l), { first: 2, after }, t.center);
      expect([after, r.data?.[l.conn] ?? null, r.errors?.[0].extensions]).toEqual([
        after,
        null,
        expect.objectContaining({ code: "BAD_USER_INPUT", field: ["after"] }),
      ]);
    }
    for (const first of [0, -1, 101]) {
      const r = await c.gql(connQuery(l), { first, after: null }, t.center);
      expect([first, r.errors?.[0].extensions]).toEqual([first, expect.objectContaining({ code: "BAD_USER_INPUT", field: ["first"] })]);
    }
    // 100 is allowed, and the default is 20.
    expect((await c.gql(connQuery(l), { first: 100 }, t.center)).errors).toBeUndefined();
    expect((await c.gql(`{ ${l.conn}${l.args ? `(${l.args})` : ""} { pageInfo { hasNextPage } } }`, {}, t.center)).errors).toBeUndefined();
  });

  it("a cursor names a row, not a position: a row added before it is not read twice, one added after it is read", async () => {
    const l = LISTS.find((x) => x.conn === "designTemplatesConnection")!;
    const first = await c.gql(connQuery(l), { first: 2 }, t.center);
    const page = first.data![l.conn] as Page;
    expect(page.edges.map((e) => e.node.id)).toEqual(["DT-A", "DT-B"]);
    await c.ds.getRepository(DesignTemplateEntity).insert(
      ["DT-0", "DT-BB"].map((id) => ({
        id,
        name: `Frame ${id}`,
        preview: "data:image/png;base64,iVBORw0KGgo=",
        sha256: "a".repeat(64),
        size: 10,
        updatedAt: AT,
      })),
    );
    try {
      const next = await c.gql(connQuery(l), { first: 10, after: page.pageInfo.endCursor }, t.center);
      expect((next.data![l.conn] as Page).edges.map((e) => e.node.id)).toEqual(["DT-BB", "DT-C"]);
    } finally {
      await c.ds.getRepository(DesignTemplateEntity).delete(["DT-0", "DT-BB"]);
    }
  });
});

describe("each caller's scope, on every page", () => {
  // Callers who may read a list see exactly what its plain list shows them, two rows a page.
  const scoped: Array<[who: string, conn: string, keys: string[]]> = [
    ["groupA", "shopGroupsConnection", ["SG01"]],
    ["shop2", "shopGroupsConnection", ["SG01"]],
    ["customer", "shopGroupsConnection", ["SG01", "SG02"]],
    ["groupB", "shopsConnection", ["SP03", "SP04"]],
    ["shop1", "shopsConnection", ["SP01"]],
    ["lab01", "shopsConnection", ["SP01"]],
    ["groupA", "labsConnection", ["LAB01", "LAB02"]],
    ["shop2", "labsConnection", ["LAB02"]],
    ["customer", "labsConnection", []],
    ["lab01", "labsConnection", ["LAB01"]],
    ["groupA", "shopPriceAllowancesConnection", ["P01", "P02", "P03"]],
    ["shop1", "shopPriceAllowancesConnection", ["P01", "P02", "P03"]],
    ["groupB", "shopPriceAllowancesConnection", []],
    ["shop2", "shopPriceAllowancesConnection", []],
    ["groupB", "labApiKeysConnection", []],
    ["shop1", "labDesignTemplatesConnection", ["DT-A", "DT-C"]],
    ["lab01", "labDesignTemplatesConnection", ["DT-A", "DT-C"]],
    ["groupB", "labDesignTemplatesConnection", []],
    ["shop2", "labDesignTemplatesConnection", []],
  ];

  it.each(scoped)("%s reads %s as its plain list shows it", async (who, conn, keys) => {
    const l = LISTS.find((x) => x.conn === conn)!;
    const ps = await pages(l, t[who], 2);
    expect(keysOf(l, ps)).toEqual(keys);
    if (keys.length === 0) expect(ps).toEqual([{ edges: [], pageInfo: { hasNextPage: false, endCursor: null } }]);
    const plain = await c.gql(plainQuery(l), {}, t[who]);
    expect(plain.data![l.plain].map((r: Record<string, string>) => r[l.key]).sort()).toEqual(keys);
  });

  it("a shop group's shops: the group's, as the reader may see shops, for every group of the page", async () => {
    const Q = `{ shopGroupsConnection(first: 10) { edges { node { id shopsConnection(first: 1) { edges { node { id } } pageInfo { hasNextPage } } } } } }`;
    const read = async (who: string) =>
      ((await c.gql(Q, {}, t[who])).data!.shopGroupsConnection as { edges: Array<{ node: { id: string; shopsConnection: Page } }> }).edges.map((e) => [
        e.node.id,
        e.node.shopsConnection.edges.map((s) => s.node.id),
        e.node.shopsConnection.pageInfo.hasNextPage,
      ]);
    expect(await read("center")).toEqual([
      ["SG01", ["SP01"], true],
      ["SG02", ["SP03"], true],
    ]);
    expect(await read("shop2")).toEqual([["SG01", ["SP02"], false]]);
    const second = await c.gql(`{ shopsConnection(shopGroupId: "SG02", first: 1, after: null) { pageInfo { endCursor } } }`, {}, t.center);
    const after = second.data!.shopsConnection.pageInfo.endCursor;
    const rest = await c.gql(
      `query($a: String) { shopsConnection(shopGroupId: "SG02", first: 5, after: $a) { edges { node { id } } } }`,
      { a: after },
      t.center,
    );
    expect(rest.data!.shopsConnection.edges).toEqual([{ node: { id: "SP04" } }]);
  });
});

describe("authorization: each connection refuses whom its plain list refuses", () => {
  type Op = MatrixOperation<void, unknown> & { roles: "public" | "any" | "center" | "admins" | "people" | "keys" | "labTemplates" };
  const roles: Record<string, Op["roles"]> = {
    shopGroupsConnection: "public",
    shopsConnection: "public",
    servicesConnection: "public",
    productsConnection: "public",
    templatesConnection: "public",
    labsConnection: "any",
    designTemplatesConnection: "any",
    usersConnection: "center",
    priceRowsConnection: "admins",
    shopPriceAllowancesConnection: "admins",
    chargedImagesConnection: "people",
    labApiKeysConnection: "keys",
    labDesignTemplatesConnection: "labTemplates",
  };
  const operations: Op[] = LISTS.map((l) => ({
    op: l.conn,
    roles: roles[l.conn],
    async send(_v, bearer): Promise<Attempt> {
      const r = await c.gql(connQuery(l), { first: 5 }, bearer);
      const plain = await c.gql(plainQuery(l), {}, bearer);
      // The plain list answers the same code.
      expect([l.conn, plain.errors?.[0].extensions?.code ?? null]).toEqual([l.conn, (r.errors?.[0].extensions?.code as string) ?? null]);
      return { code: (r.errors?.[0].extensions?.code as string) ?? null, value: r.data?.[l.conn] ?? null };
    },
  }));
  const allowedFor: Record<string, Array<Op["roles"]>> = {
    customer: ["public", "any", "people"],
    shop2: ["public", "any", "admins", "people", "labTemplates"],
    groupB: ["public", "any", "admins", "people", "keys", "labTemplates"],
    center: ["public", "any", "center", "admins", "people", "keys", "labTemplates"],
    lab01: ["public", "any", "labTemplates"],
  };
  const cells = authzMatrix<Op>({
    operations,
    callers: [
      // The public catalog is open to anonymous callers (PUBLIC_CATALOG, on by default).
      ["anonymous", () => null, (op: Op) => (op.roles === "public" ? "allowed" : "UNAUTHENTICATED")],
      ...Object.entries(allowedFor).map(
        ([who, allowed]) =>
          [who, () => t[who], (op: Op) => (allowed.includes(op.roles) ? "allowed" : "FORBIDDEN")] as [string, () => string, (op: Op) => string],
      ),
    ],
  });
  for (const cell of cells) it(cell.title, cell.run);
});
