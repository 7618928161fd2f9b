/**
 * Identity end to end: login, sessions, users managed by center admins, lab API keys over HTTP and
 * graphql-ws, and the authorization table of every identity operation.
 */
import { startCenter, type TestCenter } from "../support/center";
import { authzMatrix, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { UserEntity } from "../../src/identity/user.entity";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB03_KEY = "lab03-key-0123456789abcdef";

let c: TestCenter;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter({ env: { LOGIN_RATE_LIMIT: "5" } });
  tokens.center = await c.login("center", "center-pass-1");
  tokens.groupA = await c.login("group-a", "group-a-pass");
  tokens.groupB = await c.login("group-b", "group-b-pass");
  tokens.shop1 = await c.login("shop-1", "shop-1-pass");
  tokens.shop3 = await c.login("shop-3", "shop-3-pass");
  tokens.customer = await c.login("customer", "customer-pass");
});
afterAll(async () => {
  await c?.stop();
});

const ME = "{ me { id login name role shopGroupId shopId disabled } }";

describe("login and sessions", () => {
  it("logs in and answers me with the user and role", async () => {
    const r = await c.gql('mutation { login(login: "group-a", password: "group-a-pass") { token user { login role shopGroupId } errors { code } } }');
    expect(r.data!.login.errors).toEqual([]);
    expect(r.data!.login.user).toEqual({ login: "group-a", role: "SHOP_GROUP_ADMIN", shopGroupId: "SG01" });
    const me = await c.gql(ME, {}, r.data!.login.token);
    expect(me.data!.me).toEqual({
      id: "U010",
      login: "group-a",
      name: "Shop group A administrator",
      role: "SHOP_GROUP_ADMIN",
      shopGroupId: "SG01",
      shopId: null,
      disabled: false,
    });
  });

  it("gives the same error for a wrong password and an unknown login", async () => {
    const q = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token user { id } errors { code message field } } }";
    const wrong = await c.gql(q, { l: "shop-4", p: "not-the-password" });
    const unknown = await c.gql(q, { l: "nobody-at-all", p: "not-the-password" });
    expect(wrong.data!.login).toEqual({ token: null, user: null, errors: [{ code: "INVALID_CREDENTIALS", message: "Wrong login or password", field: null }] });
    expect(unknown.data!.login).toEqual(wrong.data!.login);
  });

  it("rate-limits failed logins per login, even with the right password afterwards", async () => {
    const q = 'mutation($p: String!) { login(login: "shop-2", password: $p) { token errors { code message } } }';
    for (let i = 0; i < 5; i++) expect((await c.gql(q, { p: "bad-password" })).data!.login.errors[0].code).toBe("INVALID_CREDENTIALS");
    const blocked = await c.gql(q, { p: "shop-2-pass" });
    expect(blocked.data!.login.token).toBeNull();
    expect(blocked.data!.login.errors[0].code).toBe("RATE_LIMITED");
    expect(blocked.data!.login.errors[0].message).toMatch(/try again in \d+ s/);
  });

  it("refuses a forged or garbled token with UNAUTHENTICATED and HTTP 401", async () => {
    const forged = tokens.center.slice(0, -4) + "AAAA";
    for (const bad of [forged, "a.b.c", "garbage"]) {
      const r = await c.gql(ME, {}, bad);
      expect(r.status).toBe(401);
      expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    }
  });

  it("answers me with null for anonymous callers and labs", async () => {
    expect((await c.gql(ME)).data!.me).toBeNull();
    expect((await c.gql(ME, {}, LAB01_KEY)).data!.me).toBeNull();
  });
});

describe("user management by center admins", () => {
  const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id login role shopGroupId shopId } errors { code field message } } }`;

  it("creates users with roles and scopes, and refuses bad ones naming the field", async () => {
    const ok = await c.gql(
      CREATE,
      { input: { id: "U200", login: "newshop", name: "New shop admin", password: "long-enough-1", role: "SHOP_ADMIN", shopId: "SP02" } },
      tokens.center,
    );
    expect(ok.data!.createUser).toEqual({ user: { id: "U200", login: "newshop", role: "SHOP_ADMIN", shopGroupId: null, shopId: "SP02" }, errors: [] });
    await c.login("newshop", "long-enough-1");

    const before = await c.ds.getRepository(UserEntity).count();
    const cases: Array<[Record<string, unknown>, string, string[]]> = [
      [{ login: "newshop", name: "x", password: "long-enough-1", role: "GENERAL_USER" }, "LOGIN_TAKEN", ["input", "login"]],
      [{ login: "group-two", name: "x", password: "long-enough-1", role: "SHOP_GROUP_ADMIN" }, "SCOPE_REQUIRED", ["input", "shopGroupId"]],
      [
        { login: "group-three", name: "x", password: "long-enough-1", role: "SHOP_GROUP_ADMIN", shopGroupId: "SG99" },
        "UNKNOWN_SHOP_GROUP",
        ["input", "shopGroupId"],
      ],
      [{ login: "shop-three", name: "x", password: "long-enough-1", role: "SHOP_ADMIN", shopId: "SP99" }, "UNKNOWN_SHOP", ["input", "shopId"]],
      [{ id: "U000", login: "dup", name: "x", password: "long-enough-1", role: "GENERAL_USER" }, "DUPLICATE_ID", ["input", "id"]],
    ];
    for (const [input, code, field] of cases) {
      const r = await c.gql(CREATE, { input }, tokens.center);
      expect(r.data!.createUser.user).toBeNull();
      expect(r.data!.createUser.errors).toEqual([expect.objectContaining({ code, field })]);
    }
    const short = await c.gql(CREATE, { input: { login: "shorty", name: "x", password: "short", role: "GENERAL_USER" } }, tokens.center);
    expect(short.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(short.errors![0].message).toContain("password");
    expect(await c.ds.getRepository(UserEntity).count()).toBe(before);
  });

  it("changes a role: the user's session ends, and their next login has the new role", async () => {
    const token = await c.login("shop-4", "shop-4-pass");
    expect((await c.gql(ME, {}, token)).data!.me.role).toBe("SHOP_ADMIN");
    const r = await c.gql(`mutation { updateUser(id: "U004", input: { role: GENERAL_USER }) { user { role shopId } errors { code } } }`, {}, tokens.center);
    expect(r.data!.updateUser).toEqual({ user: { role: "GENERAL_USER", shopId: null }, errors: [] });
    expect((await c.gql(ME, {}, token)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(ME, {}, await c.login("shop-4", "shop-4-pass"))).data!.me).toMatchObject({ role: "GENERAL_USER", shopId: null });
    const back = await c.gql(
      `mutation { updateUser(id: "U004", input: { role: SHOP_ADMIN, shopId: "SP04" }) { user { role shopId } errors { code } } }`,
      {},
      tokens.center,
    );
    expect(back.data!.updateUser.user).toEqual({ role: "SHOP_ADMIN", shopId: "SP04" });
  });

  it("disables a user: their token stops working and they cannot log in; enabling restores the login, not the old token", async () => {
    const token = await c.login("shop-3", "shop-3-pass");
    const r = await c.gql(`mutation { setUserDisabled(id: "U003", disabled: true) { user { disabled } errors { code } } }`, {}, tokens.center);
    expect(r.data!.setUserDisabled).toEqual({ user: { disabled: true }, errors: [] });
    const refused = await c.gql(ME, {}, token);
    expect(refused.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    const login = await c.gql(`mutation { login(login: "shop-3", password: "shop-3-pass") { token errors { code } } }`);
    expect(login.data!.login).toEqual({ token: null, errors: [{ code: "INVALID_CREDENTIALS" }] });
    expect((await c.ds.getRepository(UserEntity).findOneByOrFail({ id: "U003" })).disabled).toBe(true);
    await c.gql(`mutation { setUserDisabled(id: "U003", disabled: false) { errors { code } } }`, {}, tokens.center);
    expect((await c.gql(ME, {}, token)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    tokens.shop3 = await c.login("shop-3", "shop-3-pass");
    expect((await c.gql(ME, {}, tokens.shop3)).data!.me.login).toBe("shop-3");
  });

  it("does not let a center admin disable or demote themselves", async () => {
    const d = await c.gql(`mutation { setUserDisabled(id: "U000", disabled: true) { errors { code field } } }`, {}, tokens.center);
    expect(d.data!.setUserDisabled.errors).toEqual([{ code: "CANNOT_DISABLE_SELF", field: ["id"] }]);
    const r = await c.gql(`mutation { updateUser(id: "U000", input: { role: GENERAL_USER }) { errors { code field } } }`, {}, tokens.center);
    expect(r.data!.updateUser.errors).toEqual([{ code: "CANNOT_DEMOTE_SELF", field: ["input", "role"] }]);
    expect((await c.ds.getRepository(UserEntity).findOneByOrFail({ id: "U000" })).role).toBe("CENTER_ADMIN");
  });

  describe("authorization table", () => {
    const ops: Array<[string, string]> = [
      ["users", "{ users { id } }"],
      ["user", '{ user(id: "U100") { id } }'],
      ["createUser", 'mutation { createUser(input: { login: "intruder", name: "x", password: "long-enough-1", role: CENTER_ADMIN }) { errors { code } } }'],
      ["updateUser", 'mutation { updateUser(id: "U100", input: { role: CENTER_ADMIN }) { errors { code } } }'],
      ["setUserDisabled", 'mutation { setUserDisabled(id: "U000", disabled: true) { errors { code } } }'],
    ];
    const callers: MatrixCaller[] = [
      ["anonymous", () => null, "UNAUTHENTICATED"],
      ["customer", () => tokens.customer, "FORBIDDEN"],
      ["shop admin", () => tokens.shop1, "FORBIDDEN"],
      ["group admin", () => tokens.groupA, "FORBIDDEN"],
      ["lab key", () => LAB01_KEY, "FORBIDDEN"],
    ];
    const operations: MatrixOperation[] = ops.map(([name, query]) => ({ op: name, send: (_v, bearer) => graphqlAttempt(c, query, name, {}, bearer) }));
    const users = () => c.ds.getRepository(UserEntity).find({ order: { id: "ASC" } });
    for (const cell of authzMatrix({ operations, callers, snapshot: users })) it(cell.title, cell.run);
  });
});

describe("lab API keys", () => {
  const LABS = "{ labs { id } }";

  it("accepts a bundle key over HTTP: the lab sees itself", async () => {
    const r = await c.gql(LABS, {}, LAB01_KEY);
    expect(r.data!.labs).toEqual([{ id: "LAB01" }]);
  });

  it("issues a key shown once, stores only its hash, and revokes it", async () => {
    const r = await c.gql(
      `mutation { createLabApiKey(labId: "LAB02", label: "spare") { key apiKey { id labId label revokedAt } errors { code } } }`,
      {},
      tokens.center,
    );
    const { key, apiKey } = r.data!.createLabApiKey;
    // The key's id (its lookup), then the secret.
    expect(key).toMatch(/^pmk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({ labId: "LAB02", label: "spare", revokedAt: null });
    const stored = await c.ds.getRepository(LabApiKeyEntity).findOneByOrFail({ id: apiKey.id });
    expect(stored.hash).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect((await c.gql(LABS, {}, key)).data!.labs).toEqual([{ id: "LAB02" }]);

    const listed = await c.gql(`{ labApiKeys(labId: "LAB02") { id label revokedAt } }`, {}, tokens.center);
    expect(listed.data!.labApiKeys).toContainEqual({ id: apiKey.id, label: "spare", revokedAt: null });

    const revoked = await c.gql(
      `mutation($id: ID!) { revokeLabApiKey(id: $id) { key apiKey { revokedAt } errors { code } } }`,
      { id: apiKey.id },
      tokens.center,
    );
    expect(revoked.data!.revokeLabApiKey.key).toBeNull();
    expect(revoked.data!.revokeLabApiKey.apiKey.revokedAt).not.toBeNull();
    const refused = await c.gql(LABS, {}, key);
    expect(refused.status).toBe(401);
    expect(refused.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    const again = await c.gql(`mutation($id: ID!) { revokeLabApiKey(id: $id) { errors { code } } }`, { id: apiKey.id }, tokens.center);
    expect(again.data!.revokeLabApiKey.errors).toEqual([{ code: "KEY_REVOKED" }]);
  });

  it("rotates a key: the old one stops, the new one works", async () => {
    const created = await c.gql(`mutation { createLabApiKey(labId: "LAB01") { key apiKey { id } } }`, {}, tokens.groupA);
    const old = created.data!.createLabApiKey;
    expect((await c.gql(LABS, {}, old.key)).data!.labs).toEqual([{ id: "LAB01" }]);
    const rotated = await c.gql(
      `mutation($id: ID!) { rotateLabApiKey(id: $id) { key apiKey { id labId } errors { code } } }`,
      { id: old.apiKey.id },
      tokens.groupA,
    );
    const fresh = rotated.data!.rotateLabApiKey;
    expect(fresh.errors).toEqual([]);
    expect(fresh.apiKey.labId).toBe("LAB01");
    expect(fresh.key).not.toBe(old.key);
    expect((await c.gql(LABS, {}, old.key)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(LABS, {}, fresh.key)).data!.labs).toEqual([{ id: "LAB01" }]);
  });

  it("keeps group admins to their own shops' labs and refuses everyone else", async () => {
    const count = () => c.ds.getRepository(LabApiKeyEntity).count();
    const before = await count();
    const q = `mutation { createLabApiKey(labId: "LAB03") { key errors { code } } }`;
    expect((await c.gql(q, {}, tokens.groupA)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(q, {}, tokens.shop3)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(q, {}, tokens.customer)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(q, {}, LAB03_KEY)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await c.gql(q)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect(await count()).toBe(before);
    const unknown = await c.gql(`mutation { createLabApiKey(labId: "LAB99") { key errors { code field } } }`, {}, tokens.center);
    expect(unknown.data!.createLabApiKey).toEqual({ key: null, errors: [{ code: "NOT_FOUND", field: ["labId"] }] });
    const ok = await c.gql(q, {}, tokens.groupB);
    expect(ok.data!.createLabApiKey.key).toMatch(/^pmk_/);
    expect(await count()).toBe(before + 1);
  });

  it("over graphql-ws: a good key connects, a bad key is closed with 4403", async () => {
    const good = c.ws(LAB01_KEY);
    const connected = new Promise<void>((resolve, reject) => {
      good.on("connected", () => resolve());
      good.on("closed", (e) => reject(new Error(`closed ${(e as { code: number }).code}`)));
    });
    const sub = good.subscribe({ query: "subscription { __typename }" }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    await connected;
    sub();

    for (const bad of ["not-a-key-at-all-0123456789", tokens.center.slice(0, -3) + "xyz"]) {
      const client = c.ws(bad);
      const code = await new Promise<number>((resolve) => {
        client.on("closed", (e) => resolve((e as { code: number }).code));
        client.subscribe({ query: "subscription { __typename }" }, { next: () => undefined, error: () => undefined, complete: () => undefined });
      });
      expect(code).toBe(4403);
    }
  });
});
