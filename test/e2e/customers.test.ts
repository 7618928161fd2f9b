/**
 * Customers' way in, through the public API: the public catalog (PUBLIC_CATALOG on and off), signing
 * up (CUSTOMER_SIGNUP, the password rule, login and name rules, the per-address limit, two sign-ups
 * of one login racing), changing one's password (every other session ends, a fresh token) and
 * signing out (the token refused over HTTP, an open socket closed with 4403).
 */
import type { Client } from "graphql-ws";
import { UserEntity } from "../../src/identity/user.entity";
import { authzMatrix, graphqlAttempt, type MatrixOperation } from "../support/authz-matrix";
import { loginPeople, startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";

jest.setTimeout(60_000);

const ME = "{ me { id login role } }";
const REGISTER = `mutation($l: String!, $p: String!, $n: String!) {
  registerCustomer(login: $l, password: $p, name: $n) { token user { login name role } errors { code field message } }
}`;
const CHANGE = `mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { token user { login } errors { code field message } }
}`;
const LOGOUT = "mutation { logout { signedOut errors { code } } }";
const GOOD_PASSWORD = "violet-harbour-lantern";
const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
let t: Record<string, string>;
beforeAll(async () => {
  c = await startCenter({ env: { SIGNUP_RATE_LIMIT: "1000" } });
  t = await loginPeople(c, ["center", "groupA", "shop3", "customer"]);
});
afterAll(async () => {
  await c?.stop();
});

const userCount = () => c.ds.getRepository(UserEntity).count();

/** A socket made with `token`, answering one query; `closed` resolves with its close code. */
async function openSocket(center: TestCenter, token: string): Promise<{ client: Client; closed: Promise<number> }> {
  const client = center.ws(token);
  const closed = new Promise<number>((resolve) => client.on("closed", (e) => resolve((e as { code: number }).code)));
  // A subscription held keeps the (lazy) socket open.
  client.subscribe({ query: "subscription { notifications { id } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined });
  const me = await new Promise<unknown>((resolve, reject) =>
    client.subscribe({ query: ME }, { next: (v) => resolve(v.data), error: reject, complete: () => undefined }),
  );
  expect(me).toMatchObject({ me: { id: expect.any(String) } });
  return { client, closed };
}

describe("the public catalog", () => {
  const PUBLIC: Array<[string, string]> = [
    ["shopGroups", "{ shopGroups { id } }"],
    ["shops", "{ shops { id } }"],
    ["shop", '{ shop(id: "SP01") { id } }'],
    ["services", "{ services { id } }"],
    ["products", "{ products { id } }"],
    ["templates", "{ templates { id } }"],
    ["shopOffer", '{ shopOffer(shopId: "SP01") { shopId } }'],
    ["quote", "query($input: OrderInput!) { quote(input: $input) { quote { total } errors { code } } }"],
  ];
  const PRIVATE: Array<[string, string]> = [
    ["labs", "{ labs { id } }"],
    ["lab", '{ lab(id: "LAB01") { id } }'],
    ["users", "{ users { id } }"],
    ["orders", "{ orders { edges { node { id } } } }"],
    ["labCandidates", "query($input: OrderInput!) { labCandidates(input: $input) { labId } }"],
    ["quote at another instant", 'query($input: OrderInput!) { quote(input: $input, at: "2026-04-01T00:00:00Z") { quote { total } } }'],
  ];
  /** One catalog query as a matrix operation, sent to `center`. */
  const operation = (center: () => TestCenter, op: string, query: string): MatrixOperation => ({
    op,
    send: (_v: unknown, bearer: string | null) => graphqlAttempt(center(), query, firstField(query), { input: WORKED_EXAMPLE_ORDER }, bearer),
  });

  it("lets anonymous callers read what a customer reads of it, and quote at now (PUBLIC_CATALOG=1, the default)", async () => {
    expect(c.config.publicCatalog).toBe(true);
    for (const [, query] of PUBLIC) {
      const anonymous = await c.gql(query, { input: WORKED_EXAMPLE_ORDER });
      const customer = await c.gql(query, { input: WORKED_EXAMPLE_ORDER }, t.customer);
      expect([query, anonymous.errors]).toEqual([query, undefined]);
      expect([query, anonymous.data]).toEqual([query, customer.data]);
    }
    const d = (await c.gql("{ shops { id } templates { id } }")).data!;
    expect(d.shops.map((s: { id: string }) => s.id)).toEqual(["SP01", "SP02", "SP03", "SP04"]);
    expect((await c.gql(PUBLIC[7][1], { input: WORKED_EXAMPLE_ORDER })).data!.quote).toEqual({ quote: { total: 1050 }, errors: [] });
  });

  it("keeps everything else behind a login", async () => {
    for (const [what, query] of PRIVATE) {
      const r = await c.gql(query, { input: WORKED_EXAMPLE_ORDER });
      expect([what, r.errors?.[0]?.extensions?.code]).toEqual([what, "UNAUTHENTICATED"]);
    }
  });

  describe("by caller, with PUBLIC_CATALOG=0 and =1", () => {
    let closed: TestCenter;
    let tc: Record<string, string>;
    beforeAll(async () => {
      closed = await startCenter({ env: { PUBLIC_CATALOG: "0" } });
      tc = await loginPeople(closed, ["customer", "center"]);
    });
    afterAll(async () => {
      await closed?.stop();
    });
    it("refuses anonymous callers every catalog query when it is off, and lets everyone else in", async () => {
      expect(closed.config.publicCatalog).toBe(false);
      const cells = authzMatrix({
        operations: PUBLIC.map(([op, query]) => operation(() => closed, op, query)),
        callers: [
          ["anonymous", () => null, "UNAUTHENTICATED"],
          ["customer", () => tc.customer, "allowed"],
          ["center admin", () => tc.center, "allowed"],
          ["lab key", () => LAB01_KEY, "allowed"],
        ],
      });
      for (const cell of cells) await cell.run();
    });
    it("lets every caller in when it is on", async () => {
      const cells = authzMatrix({
        operations: PUBLIC.map(([op, query]) => operation(() => c, op, query)),
        callers: [
          ["anonymous", () => null, "allowed"],
          ["customer", () => t.customer, "allowed"],
          ["shop admin of another shop", () => t.shop3, "allowed"],
          ["group admin", () => t.groupA, "allowed"],
          ["center admin", () => t.center, "allowed"],
          ["lab key", () => LAB01_KEY, "allowed"],
        ],
      });
      for (const cell of cells) await cell.run();
    });
  });
});

function firstField(query: string): string {
  return /{\s*(\w+)/.exec(query.replace(/^[^{]*/, ""))![1];
}

describe("registerCustomer", () => {
  it("signs a customer up and logs them in", async () => {
    const r = await c.gql(REGISTER, { l: "new.customer", p: GOOD_PASSWORD, n: "New Customer" });
    expect(r.errors).toBeUndefined();
    const payload = r.data!.registerCustomer;
    expect(payload).toMatchObject({ user: { login: "new.customer", name: "New Customer", role: "GENERAL_USER" }, errors: [] });
    expect((await c.gql(ME, {}, payload.token)).data!.me).toMatchObject({ login: "new.customer", role: "GENERAL_USER" });
    expect(await c.login("new.customer", GOOD_PASSWORD)).toEqual(expect.any(String));
  });

  it("answers each fault with its code and field, and writes nothing", async () => {
    const before = await userCount();
    const cases: Array<[Record<string, string>, Array<[string, string[]]>]> = [
      [{ l: "customer", p: GOOD_PASSWORD, n: "Someone" }, [["LOGIN_TAKEN", ["login"]]]],
      [{ l: "x", p: GOOD_PASSWORD, n: "Someone" }, [["INVALID_LOGIN", ["login"]]]],
      [{ l: "short.pw", p: "abc123", n: "Someone" }, [["WEAK_PASSWORD", ["password"]]]],
      [{ l: "common.pw", p: "Password2024!", n: "Someone" }, [["WEAK_PASSWORD", ["password"]]]],
      [{ l: "loginpw", p: "my-loginpw-is-long", n: "Someone" }, [["WEAK_PASSWORD", ["password"]]]],
      [{ l: "blank.name", p: GOOD_PASSWORD, n: "   " }, [["INVALID_NAME", ["name"]]]],
      [{ l: "bidi.name", p: GOOD_PASSWORD, n: "Eve\u202Egnp.exe" }, [["INVALID_NAME", ["name"]]]],
      [
        { l: "!", p: "aaaa", n: "" },
        [
          ["INVALID_LOGIN", ["login"]],
          ["INVALID_NAME", ["name"]],
          ["WEAK_PASSWORD", ["password"]],
        ],
      ],
    ];
    for (const [vars, want] of cases) {
      const r = await c.gql(REGISTER, vars);
      const payload = r.data!.registerCustomer;
      expect([vars, payload.errors.map((e: { code: string; field: string[] }) => [e.code, e.field])]).toEqual([vars, want]);
      expect(payload.token).toBeNull();
    }
    const weak = (await c.gql(REGISTER, { l: "weak.pw", p: "abc123", n: "Someone" })).data!.registerCustomer.errors[0].message;
    // The rule is stated, and the password is not repeated.
    expect(weak).toContain("at least 12 characters");
    expect(weak).not.toContain("abc123");
    expect(await userCount()).toBe(before);
  });

  it("lets exactly one of two sign-ups of one login in", async () => {
    const before = await userCount();
    const both = await Promise.all([0, 1].map((i) => c.gql(REGISTER, { l: "racer", p: GOOD_PASSWORD, n: `Racer ${i}` })));
    const codes = both.map((r) => r.data!.registerCustomer.errors.map((e: { code: string }) => e.code)).sort();
    expect(codes).toEqual([[], ["LOGIN_TAKEN"]]);
    expect(await userCount()).toBe(before + 1);
  });

  it("is limited per address (SIGNUP_RATE_LIMIT) and closed with CUSTOMER_SIGNUP=0", async () => {
    const limited = await startCenter({ env: { SIGNUP_RATE_LIMIT: "2", CUSTOMER_SIGNUP: "1" } });
    try {
      const codes: string[][] = [];
      for (let i = 0; i < 3; i++) {
        const r = await limited.gql(REGISTER, { l: `limited-${i}`, p: GOOD_PASSWORD, n: "Limited" });
        codes.push(r.data!.registerCustomer.errors.map((e: { code: string }) => e.code));
      }
      expect(codes).toEqual([[], [], ["RATE_LIMITED"]]);
      expect(await limited.ds.getRepository(UserEntity).countBy({ name: "Limited" })).toBe(2);
    } finally {
      await limited.stop();
    }
    const shut = await startCenter({ env: { CUSTOMER_SIGNUP: "0" } });
    try {
      const r = await shut.gql(REGISTER, { l: "nobody", p: GOOD_PASSWORD, n: "Nobody" });
      expect(r.data!.registerCustomer).toMatchObject({ token: null, user: null, errors: [{ code: "SIGNUP_CLOSED" }] });
      expect(await shut.ds.getRepository(UserEntity).countBy({ login: "nobody" })).toBe(0);
    } finally {
      await shut.stop();
    }
  });
});

describe("changePassword and logout", () => {
  async function signUp(login: string): Promise<string> {
    const r = await c.gql(REGISTER, { l: login, p: GOOD_PASSWORD, n: login });
    expect(r.data!.registerCustomer.errors).toEqual([]);
    return r.data!.registerCustomer.token;
  }

  it("checks the current password and the rule, and changes nothing when refused", async () => {
    const token = await signUp("changer.a");
    const hash = async () => (await c.ds.getRepository(UserEntity).findOneByOrFail({ login: "changer.a" })).passwordHash;
    const before = await hash();
    const wrong = (await c.gql(CHANGE, { c: "not-my-password", n: "another-fine-passphrase" }, token)).data!.changePassword;
    expect(wrong).toMatchObject({ token: null, errors: [{ code: "INVALID_CREDENTIALS", field: ["currentPassword"] }] });
    const weak = (await c.gql(CHANGE, { c: GOOD_PASSWORD, n: "12345" }, token)).data!.changePassword;
    expect(weak).toMatchObject({ token: null, errors: [{ code: "WEAK_PASSWORD", field: ["newPassword"] }] });
    expect(await hash()).toBe(before);
    expect((await c.gql(ME, {}, token)).data!.me.login).toBe("changer.a");
    const anonymous = await c.gql(CHANGE, { c: GOOD_PASSWORD, n: "another-fine-passphrase" });
    expect(anonymous.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });

  it("ends every other session, an open socket included, and answers a fresh token", async () => {
    const first = await signUp("changer.b");
    const second = await c.login("changer.b", GOOD_PASSWORD);
    const socket = await openSocket(c, second);
    const r = await c.gql(CHANGE, { c: GOOD_PASSWORD, n: "another-fine-passphrase" }, first);
    expect(r.data!.changePassword).toMatchObject({ user: { login: "changer.b" }, errors: [] });
    const fresh: string = r.data!.changePassword.token;
    expect(await socket.closed).toBe(4403);
    for (const old of [first, second]) expect((await c.gql(ME, {}, old)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(ME, {}, fresh)).data!.me.login).toBe("changer.b");
    expect(await c.login("changer.b", "another-fine-passphrase")).toEqual(expect.any(String));
    await expect(c.login("changer.b", GOOD_PASSWORD)).rejects.toThrow(/failed/);
  });

  it("counts wrong current passwords against the login limits", async () => {
    const limited = await startCenter({ env: { LOGIN_RATE_LIMIT: "2" } });
    try {
      const token = await limited.login("customer", "customer-pass");
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        codes.push((await limited.gql(CHANGE, { c: `wrong-${i}`, n: "another-fine-passphrase" }, token)).data!.changePassword.errors[0].code);
      }
      expect(codes).toEqual(["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]);
    } finally {
      await limited.stop();
    }
  });

  it("signs out: the token is refused over HTTP and its socket is closed", async () => {
    const token = await signUp("leaver");
    const socket = await openSocket(c, token);
    expect((await c.gql(LOGOUT, {}, token)).data).toEqual({ logout: { signedOut: true, errors: [] } });
    expect(await socket.closed).toBe(4403);
    const after = await c.gql(ME, {}, token);
    expect(after.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(LOGOUT, {})).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(LOGOUT, {}, LAB01_KEY)).errors![0].extensions!.code).toBe("FORBIDDEN");
    // A new login works.
    expect((await c.gql(ME, {}, await c.login("leaver", GOOD_PASSWORD))).data!.me.login).toBe("leaver");
  });
});
