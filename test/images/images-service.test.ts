/**
 * The images service's own checks, asked of it directly against a real center: signatures of
 * download links (id, expiry, clock, the center's secret) and the usability check orders rely on
 * (own, stock and charged images; foreign and unknown ids, in the order given; by request context).
 * Uploads and downloads through HTTP are test/e2e/images.test.ts.
 */
import { startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { requestContext } from "../../src/core/request-context";
import { ImagesService } from "../../src/images/images.service";
import { ImageUrlSigner } from "../../src/images/image-urls";
import { UserEntity } from "../../src/identity/user.entity";

let c: TestCenter;
const tokens: Record<string, string> = {};
const png = makePng(37, 21);

beforeAll(async () => {
  c = await startCenter();
  tokens.center = await c.login("center", "center-pass-1");
  tokens.customer = await c.login("customer", "customer-pass");
  const created = await c.gql(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } errors { code } } }`,
    { input: { id: "U101", login: "customer-2", name: "Second customer", password: "customer-2-pass", role: "GENERAL_USER" } },
    tokens.center,
  );
  expect(created.data!.createUser.errors).toEqual([]);
  tokens.customer2 = await c.login("customer-2", "customer-2-pass");
});
afterAll(async () => {
  await c?.stop();
});

/** Uploads through the center, as a client does. */
async function upload(method: "POST" | "PUT", url: string, body: Buffer, type: string, bearer: string): Promise<{ status: number; json: any }> {
  const res = await fetch(c.url + url, { method, headers: { "content-type": type, authorization: `Bearer ${bearer}` }, body: new Uint8Array(body) });
  return { status: res.status, json: await res.json() };
}
const post = (body: Buffer, type: string, bearer: string = tokens.customer) => upload("POST", "/images", body, type, bearer);
const put = (id: string, body: Buffer, type: string) => upload("PUT", `/images/${encodeURIComponent(id)}`, body, type, tokens.center);
const images = () => c.server.services.images;

async function userId(login: string): Promise<string> {
  return (await c.ds.getRepository(UserEntity).findOneOrFail({ where: { login } })).id;
}

describe("signatures", () => {
  it("verifies signatures in the service (id, expiry, clock)", () => {
    const now = Date.now();
    const q = new URL(images().signedUrl("IMG-X", 300, now), c.url).searchParams;
    expect(images().verifySignature("IMG-X", q.get("exp"), q.get("sig"), now)).toBe(true);
    expect(images().verifySignature("IMG-X", q.get("exp"), q.get("sig"), now + 301_000)).toBe(false);
    expect(images().verifySignature("IMG-Y", q.get("exp"), q.get("sig"), now)).toBe(false);
    expect(images().verifySignature("IMG-X", "1e12", q.get("sig"), now)).toBe(false);
    expect(images().verifySignature("IMG-X", q.get("exp"), null, now)).toBe(false);
    // Another center (another secret) does not accept it.
    const other = new ImagesService(c.server.app, {
      printJobs: c.server.services.printJobs,
      pricing: c.server.services.pricing,
      orders: c.server.services.orders,
      urls: new ImageUrlSigner(new TextEncoder().encode("another-secret-".padEnd(40, "y"))),
    });
    expect(other.verifySignature("IMG-X", q.get("exp"), q.get("sig"), now)).toBe(false);
    expect(() => images().signedUrl("IMG-X", 0)).toThrow(RangeError);
  });
});

describe("assertUsable", () => {
  let own: string;
  let others: string;
  beforeAll(async () => {
    own = (await post(png, "image/png")).json.id;
    others = (await post(png, "image/png", tokens.customer2)).json.id;
    await put("STOCK-U", png, "image/png");
  });

  it("accepts the caller's own images, stock images and charged images (with or without bytes)", async () => {
    const customer = await userId("customer");
    expect(await images().assertUsable(customer, [own, "STOCK-U", "IMG-C01", own])).toEqual({ ok: true });
    expect(await images().assertUsable(customer, [])).toEqual({ ok: true });
  });

  it("names other people's images as foreign and unknown ids as unknown, in the order given", async () => {
    const customer = await userId("customer");
    expect(await images().assertUsable(customer, ["IMG-NONE-2", others, own, "IMG-NONE-1", "STOCK-U"])).toEqual({
      ok: false,
      unknown: ["IMG-NONE-2", "IMG-NONE-1"],
      foreign: [others],
    });
    expect(await images().assertUsable(await userId("customer-2"), [own])).toEqual({ ok: false, unknown: [], foreign: [own] });
    // Ids match exactly, on every engine.
    expect(await images().assertUsable(customer, [own.toLowerCase()])).toEqual({ ok: false, unknown: [own.toLowerCase()], foreign: [] });
  });

  it("takes a request context: people by their id, anyone else to stock images only", async () => {
    const user = await c.ds.getRepository(UserEntity).findOneOrFail({ where: { login: "customer" } });
    const asCustomer = requestContext(c.server.app, { kind: "user", user }, "t", "local");
    expect(await images().assertUsable(asCustomer, [own, "STOCK-U"])).toEqual({ ok: true });
    const asLab = requestContext(c.server.app, { kind: "lab", labId: "LAB01", shopId: "SP01", keyId: "k" }, "t", "local");
    expect(await images().assertUsable(asLab, [own, "STOCK-U", "IMG-C01"])).toEqual({ ok: false, unknown: [], foreign: [own] });
  });
});
