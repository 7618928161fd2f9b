/**
 * The plain GraphQL request over HTTP is answered by the center's own runner; everything else by
 * Apollo. Each request here is sent twice, once as a plain POST (Content-Length: the center's
 * runner takes it when it can) and once with a chunked body (Express, then Apollo, always), and the
 * two answers must be the same: status, content type and body, byte for byte. The lane counter
 * says who answered, and what a mutation wrote is read back.
 */
import { createHash } from "node:crypto";
import * as http from "node:http";
import { ShopGroupEntity } from "../../src/catalog/shop-group.entity";
import { startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";

let c: TestCenter;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  tokens.center = await c.login("center", "center-pass-1");
  tokens.customer = await c.login("customer", "customer-pass");
});

afterAll(async () => {
  await c.stop();
});

interface Answer {
  status: number;
  type: string | undefined;
  text: string;
}

function send(body: string, headers: Record<string, string>, chunked: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string | number> = { "content-type": "application/json", "x-request-id": "same-id", ...headers };
    if (!chunked) all["content-length"] = Buffer.byteLength(body);
    const req = http.request(new URL("/graphql", c.url), { method: "POST", headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (b: Buffer) => chunks.push(b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (chunked) {
      // Without Content-Length Node sends the body chunked, which the center hands to Express.
      const b = Buffer.from(body);
      req.write(b.subarray(0, 3));
      req.end(b.subarray(3));
    } else req.end(body);
  });
}

async function lanes(): Promise<{ direct: number; apollo: number }> {
  const values = (await c.server.metrics.httpLanes.get()).values;
  const of = (lane: string) => values.find((v) => v.labels.lane === lane)?.value ?? 0;
  return { direct: of("direct"), apollo: of("apollo") };
}

/** The same request both ways; whether the center's runner answered the plain one; both answers. */
async function both(body: object | string, headers: Record<string, string> = {}): Promise<{ direct: boolean; plain: Answer; viaApollo: Answer }> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const before = await lanes();
  const plain = await send(text, headers, false);
  const after = await lanes();
  const viaApollo = await send(text, headers, true);
  const last = await lanes();
  // The chunked request never reaches the center's runner.
  expect(last.direct).toBe(after.direct);
  return { direct: after.direct === before.direct + 1, plain, viaApollo };
}

const bearer = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });

const QUOTE = `query Quote($input: OrderInput!) {
  quote(input: $input) {
    errors { code message field }
    quote { shopId currency total subOrders { serviceId sheets subtotal lines { productId source basicCharge amountCharge sheets subtotal } imageFees { imageId feePerSheet sheets subtotal } } }
  }
}`;
const EXAMPLE = WORKED_EXAMPLE_ORDER;
const CREATE_GROUP = `mutation Create($input: CreateShopGroupInput!) { createShopGroup(input: $input) { shopGroup { id name } errors { code message field } } }`;

describe("answered by the center's own runner, as Apollo answers", () => {
  it("a query, with each Accept header's content type", async () => {
    for (const [accept, type] of [
      [undefined, "application/json; charset=utf-8"],
      ["*/*", "application/json; charset=utf-8"],
      ["application/json", "application/json; charset=utf-8"],
      ["application/graphql-response+json", "application/graphql-response+json; charset=utf-8"],
      ["application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json; charset=utf-8"],
    ] as const) {
      const r = await both({ query: "{ me { login role } }" }, { ...bearer("center"), ...(accept ? { accept } : {}) });
      expect({ accept, direct: r.direct, status: r.plain.status, type: r.plain.type }).toEqual({ accept, direct: true, status: 200, type });
      expect(r.plain).toEqual(r.viaApollo);
      expect(r.plain.text).toBe('{"data":{"me":{"login":"center","role":"CENTER_ADMIN"}}}');
    }
  });

  it("the worked example's quote (1050), with the operation named and extensions given", async () => {
    const r = await both(
      { query: QUOTE, operationName: "Quote", variables: { input: EXAMPLE }, extensions: { clientLibrary: { name: "web" } } },
      bearer("customer"),
    );
    expect(r.direct).toBe(true);
    expect(r.plain).toEqual(r.viaApollo);
    expect(JSON.parse(r.plain.text).data.quote.quote.total).toBe(1050);
  });

  it("one of two operations, by its name; and an anonymous caller", async () => {
    const two = await both({ query: "query A { __typename } query B { me { login } }", operationName: "B" }, bearer("customer"));
    expect(two.direct).toBe(true);
    expect(two.plain).toEqual(two.viaApollo);
    expect(two.plain.text).toBe('{"data":{"me":{"login":"customer"}}}');
    const anonymous = await both({ query: "{ me { login } }", variables: null, operationName: null });
    expect(anonymous.direct).toBe(true);
    expect(anonymous.plain).toEqual(anonymous.viaApollo);
    expect(anonymous.plain.text).toBe('{"data":{"me":null}}');
  });

  it("a field refused by role: errors first, then data, with the code; counted alike", async () => {
    const counted = async () => ({
      forbidden: (await c.server.metrics.errors.get()).values.find((v) => v.labels.code === "FORBIDDEN")?.value ?? 0,
      operations: (await c.server.metrics.operations.get()).values.find((v) => v.labels.operation === "priceRows" && v.labels.transport === "http")?.value ?? 0,
    });
    const before = await counted();
    const r = await both({ query: "{ priceRows { id } }" }, bearer("customer"));
    // Each answer counted once, by whoever gave it.
    expect(await counted()).toEqual({ forbidden: before.forbidden + 2, operations: before.operations + 2 });
    expect(r.direct).toBe(true);
    expect(r.plain).toEqual(r.viaApollo);
    expect(r.plain.status).toBe(200);
    const body = JSON.parse(r.plain.text);
    expect(Object.keys(body)).toEqual(["errors", "data"]);
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(["FORBIDDEN"]);
    expect(body.data).toBeNull();
  });

  it("a mutation's payload error and an argument that breaks a rule, nothing written", async () => {
    const taken = await both({ query: CREATE_GROUP, variables: { input: { id: "SG01", name: "Another A" } } }, bearer("center"));
    expect(taken.direct).toBe(true);
    expect(taken.plain).toEqual(taken.viaApollo);
    expect(JSON.parse(taken.plain.text).data.createShopGroup.errors[0].code).toBe("DUPLICATE_ID");
    const long = await both({ query: CREATE_GROUP, variables: { input: { id: "SG09", name: "n".repeat(1001) } } }, bearer("center"));
    expect(long.direct).toBe(true);
    expect(long.plain).toEqual(long.viaApollo);
    const body = JSON.parse(long.plain.text);
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0].extensions.fields[0].field).toEqual(["name"]);
    const groups = await c.ds.getRepository(ShopGroupEntity).find({ order: { id: "ASC" } });
    expect(groups.map((g) => [g.id, g.name])).toEqual([
      ["SG01", "Shop group A"],
      ["SG02", "Shop group B"],
    ]);
  });
});

describe("handed to Apollo before anything runs, answered as before", () => {
  const cases: Array<[string, object | string, Record<string, string>, number, string | null]> = [
    ["a syntax error", { query: "{ me { login " }, {}, 400, "GRAPHQL_PARSE_FAILED"],
    ["more tokens than the limit", { query: `{ ${"a: __typename ".repeat(2000)}}` }, {}, 400, "GRAPHQL_PARSE_FAILED"],
    ["a field the schema lacks", { query: "{ nothingHere }" }, {}, 400, "GRAPHQL_VALIDATION_FAILED"],
    ["an operation name the document lacks", { query: "query A { __typename }", operationName: "B" }, {}, 400, "OPERATION_RESOLUTION_FAILURE"],
    ["two operations and no name", { query: "query A { __typename } query B { __typename }" }, {}, 400, "OPERATION_RESOLUTION_FAILURE"],
    [
      "a variable of the wrong type",
      { query: QUOTE, variables: { input: { ...EXAMPLE, subOrders: [{ serviceId: "SV01", sheets: "five", items: [] }] } } },
      {},
      400,
      "BAD_USER_INPUT",
    ],
    ["a required variable missing", { query: QUOTE }, {}, 400, "BAD_USER_INPUT"],
    ["variables as a string", { query: "{ __typename }", variables: "{}" }, {}, 400, "BAD_REQUEST"],
    ["an operation name that is not a string", { query: "{ __typename }", operationName: 7 }, {}, 400, "BAD_REQUEST"],
    [
      "a persisted query",
      { query: "{ __typename }", extensions: { persistedQuery: { version: 1, sha256Hash: createHash("sha256").update("{ __typename }").digest("hex") } } },
      {},
      200,
      null,
    ],
    [
      "a persisted query whose hash is not the query's",
      { query: "{ __typename }", extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } },
      {},
      400,
      "BAD_REQUEST",
    ],
    [
      "a persisted query by hash alone, unknown to the center",
      { extensions: { persistedQuery: { version: 1, sha256Hash: "1".repeat(64) } } },
      {},
      200,
      "PERSISTED_QUERY_NOT_FOUND",
    ],
    ["a subscription", { query: "subscription { notifications { id } }" }, {}, 400, "BAD_REQUEST"],
    ["a credential that does not hold", { query: "{ __typename }" }, { authorization: "Bearer not-a-token" }, 401, "UNAUTHENTICATED"],
    ["an Accept header without JSON", { query: "{ __typename }" }, { accept: "text/html" }, 406, "BAD_REQUEST"],
  ];
  it.each(cases)("%s", async (_name, body, headers, status, code) => {
    const r = await both(body, { ...bearer("customer"), ...headers });
    expect(r.direct).toBe(false);
    expect(r.plain).toEqual(r.viaApollo);
    expect(r.plain.status).toBe(status);
    if (code !== null) expect(JSON.parse(r.plain.text).errors[0].extensions.code).toBe(code);
    else expect(r.plain.text).toBe('{"data":{"__typename":"Query"}}');
  });
});
