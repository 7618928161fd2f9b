/**
 * Sessions end when what they were granted on changes: a password change or reset, a disable (and
 * stay ended after re-enabling), a change of role or scope. The token issued before stops working
 * over HTTP, and an open socket made with it is closed with 4403 at once. A new login works (unless
 * the user is disabled). Other users' sessions are untouched.
 */
import type { Client } from "graphql-ws";
import { UserEntity } from "../../src/identity/user.entity";
import { startCenter, type TestCenter } from "../support/center";

jest.setTimeout(60_000);

const ME = "{ me { id role } }";

let c: TestCenter;
let admin: string;
beforeAll(async () => {
  c = await startCenter();
  admin = await c.login("center", "center-pass-1");
});
afterAll(async () => {
  await c?.stop();
});

/** A socket made with `token`, holding a subscription; `closed` resolves with its close code. */
async function openSocket(token: string): Promise<{ client: Client; closed: Promise<number> }> {
  const client = c.ws(token);
  let closedWith: (code: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (closedWith = resolve));
  const connected = new Promise<void>((resolve, reject) => {
    client.on("connected", () => resolve());
    client.on("closed", (e) => {
      const code = (e as { code: number }).code;
      closedWith(code);
      reject(new Error(`closed ${code}`));
    });
  });
  client.subscribe({ query: "subscription { notifications { id } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined });
  await connected;
  // The subscription is in place once an operation over the same socket has been answered.
  const me = await new Promise<unknown>((resolve, reject) =>
    client.subscribe({ query: ME }, { next: (v) => resolve(v.data), error: reject, complete: () => undefined }),
  );
  expect(me).toMatchObject({ me: { id: expect.any(String) } });
  return { client, closed };
}

async function expectEnded(token: string, closed: Promise<number>): Promise<void> {
  expect(await closed).toBe(4403);
  const r = await c.gql(ME, {}, token);
  expect(r.status).toBe(401);
  expect(r.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
}

async function mutate(query: string, bearer = admin): Promise<Record<string, any>> {
  const r = await c.gql(query, {}, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!;
}

describe("sessions end", () => {
  it("at a password reset by an admin; the new password logs in", async () => {
    const token = await c.login("shop-1", "shop-1-pass");
    const other = await c.login("shop-2", "shop-2-pass");
    const { closed } = await openSocket(token);
    const r = await mutate(`mutation { updateUser(id: "U001", input: { password: "shop-1-new-pass" }) { errors { code } } }`);
    expect(r.updateUser.errors).toEqual([]);
    await expectEnded(token, closed);
    expect((await c.gql(ME, {}, await c.login("shop-1", "shop-1-new-pass"))).data!.me).toEqual({ id: "U001", role: "SHOP_ADMIN" });
    // Someone else's session goes on.
    expect((await c.gql(ME, {}, other)).data!.me).toEqual({ id: "U002", role: "SHOP_ADMIN" });
  });

  it("at a change of one's own password, for that user's other sessions too", async () => {
    const second = await c.login("center", "center-pass-1");
    const { closed } = await openSocket(second);
    const r = await mutate(`mutation { updateUser(id: "U000", input: { password: "center-pass-2" }) { errors { code } } }`);
    expect(r.updateUser.errors).toEqual([]);
    await expectEnded(second, closed);
    expect((await c.gql(ME, {}, admin)).status).toBe(401);
    admin = await c.login("center", "center-pass-2");
    expect((await c.gql(ME, {}, admin)).data!.me).toEqual({ id: "U000", role: "CENTER_ADMIN" });
  });

  it("at a disable, and a token from before stays dead after re-enabling", async () => {
    const token = await c.login("shop-3", "shop-3-pass");
    const { closed } = await openSocket(token);
    expect((await mutate(`mutation { setUserDisabled(id: "U003", disabled: true) { errors { code } } }`)).setUserDisabled.errors).toEqual([]);
    await expectEnded(token, closed);
    expect((await mutate(`mutation { setUserDisabled(id: "U003", disabled: false) { errors { code } } }`)).setUserDisabled.errors).toEqual([]);
    const again = await c.gql(ME, {}, token);
    expect(again.status).toBe(401);
    expect(again.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(ME, {}, await c.login("shop-3", "shop-3-pass"))).data!.me).toEqual({ id: "U003", role: "SHOP_ADMIN" });
  });

  it("at a change of role", async () => {
    const token = await c.login("shop-4", "shop-4-pass");
    const { closed } = await openSocket(token);
    const r = await mutate(`mutation { updateUser(id: "U004", input: { role: GENERAL_USER }) { user { role } errors { code } } }`);
    expect(r.updateUser).toEqual({ user: { role: "GENERAL_USER" }, errors: [] });
    await expectEnded(token, closed);
    expect((await c.gql(ME, {}, await c.login("shop-4", "shop-4-pass"))).data!.me).toEqual({ id: "U004", role: "GENERAL_USER" });
  });

  it("not at a change of name only", async () => {
    const token = await c.login("customer", "customer-pass");
    const r = await mutate(`mutation { updateUser(id: "U100", input: { name: "A renamed customer" }) { errors { code } } }`);
    expect(r.updateUser.errors).toEqual([]);
    expect((await c.gql(ME, {}, token)).data!.me).toEqual({ id: "U100", role: "GENERAL_USER" });
    expect((await c.ds.getRepository(UserEntity).findOneByOrFail({ id: "U100" })).name).toBe("A renamed customer");
  });
});
