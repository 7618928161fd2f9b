/**
 * A center in production configuration (NODE_ENV=production, as the Docker image runs it) refuses
 * over a plain HTTP POST with the refusal's own code, never a 500: field suggestions are masked
 * there by the protection's error hook, which once tried to rewrite the message of a read-only
 * error and failed the whole request. The same holds for a variable of an input type with a
 * misspelt field: production says no "Did you mean".
 */
import { UserEntity } from "../../src/identity/user.entity";
import { OrderEntity } from "../../src/orders/order.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";
import { startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter({ env: { NODE_ENV: "production" } });
  t.customer = await c.login("customer", "customer-pass");
  t.groupA = await c.login("group-a", "group-a-pass");
});
afterAll(async () => {
  await c?.stop();
});

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id } errors { code message field } } }`;
const CREATE_ROW = `mutation($input: PriceRowInput!) { createPriceRow(input: $input) { priceRow { id } errors { code message field } } }`;
const rowInput = (shopGroupId: string) => ({ shopGroupId, productId: "P03", validFrom: "2030-01-01", basicCharge: 0, amountCharge: 1 });
const snapshot = async () => ({
  orders: await c.ds.getRepository(OrderEntity).count(),
  rows: (await c.ds.getRepository(PriceRowEntity).find({ order: { id: "ASC" } })).map((r) => r.id),
});

describe("refusals over a plain HTTP POST in production configuration", () => {
  it("the center runs in production configuration: no introspection", async () => {
    expect([c.config.env, c.config.introspection, c.config.ide]).toEqual(["production", false, false]);
  });

  const refusals = [
    { what: "an anonymous placeOrder", query: PLACE, variables: { input: WORKED_EXAMPLE_ORDER }, who: null, field: "placeOrder", code: "UNAUTHENTICATED" },
    {
      what: "a customer's createPriceRow",
      query: CREATE_ROW,
      variables: { input: rowInput("SG01") },
      who: "customer",
      field: "createPriceRow",
      code: "FORBIDDEN",
    },
    {
      what: "a group admin's price row for another group",
      query: CREATE_ROW,
      variables: { input: rowInput("SG02") },
      who: "groupA",
      field: "createPriceRow",
      code: "FORBIDDEN",
    },
  ];
  it.each(refusals)("$what answers 200 with $code, nothing written", async ({ query, variables, who, field, code }) => {
    const before = await snapshot();
    const r = await c.gql(query, variables, who ? t[who] : null);
    expect({ status: r.status, data: r.data, codes: r.errors?.map((e) => [e.extensions?.code, e.path]) }).toEqual({
      status: 200,
      data: null,
      codes: [[code, [field]]],
    });
    expect(await snapshot()).toEqual(before);
  });

  it("a misspelt field, in the document or in a variable's input object, is refused without a suggestion", async () => {
    const typo = await c.gql("{ mee { login } }");
    expect(typo.status).toBe(400);
    expect(typo.errors!.map((e) => e.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(typo.errors![0].message).not.toMatch(/Did you mean/);
    const before = await snapshot();
    const variable = await c.gql(CREATE_ROW, { input: { ...rowInput("SG01"), amountCharg: 1 } }, t.groupA);
    expect(variable.status).toBe(400);
    expect(variable.errors!.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(variable.errors![0].message).toMatch(/amountCharg/);
    expect(variable.errors!.map((e) => e.message).join(" ")).not.toMatch(/Did you mean/);
    expect(await snapshot()).toEqual(before);
  });

  it("a misspelt enum value, in a variable or in the document, is refused without a suggestion", async () => {
    const t0 = await c.login("center", "center-pass-1");
    const user = { id: "U900", login: "typo", name: "Typo", password: "typo-password", role: "CENTER_ADMN" };
    const variable = await c.gql("mutation($input: CreateUserInput!) { createUser(input: $input) { errors { code } } }", { input: user }, t0);
    expect([variable.status, variable.errors!.map((e) => e.extensions?.code)]).toEqual([400, ["BAD_USER_INPUT"]]);
    expect(variable.errors![0].message).toMatch(/CENTER_ADMN/);
    expect(variable.errors![0].message).not.toMatch(/Did you mean|CENTER_ADMIN/);
    const literal = await c.gql(
      'mutation { createUser(input: { id: "U900", login: "typo", name: "Typo", password: "typo-password", role: CENTER_ADMN }) { errors { code } } }',
      {},
      t0,
    );
    expect([literal.status, literal.errors!.map((e) => e.extensions?.code)]).toEqual([400, ["GRAPHQL_VALIDATION_FAILED"]]);
    expect(literal.errors![0].message).not.toMatch(/Did you mean|CENTER_ADMIN/);
    expect(await c.ds.getRepository(UserEntity).countBy({ login: "typo" })).toBe(0);
  });
});
