/**
 * The images service's own checks, asked of it directly against a real center: signatures of
 * download links (id, expiry, clock, the center's secret), the usability check orders rely on
 * (own, stock and charged images; foreign and unknown ids, in the order given; by request context),
 * and uploads no HTTP client can stage: a body stream that fails under the service, the ids "." and
 * "..", and a race for an id lost after the bytes were stored.
 * Uploads and downloads through HTTP are test/e2e/images.test.ts.
 */
import * as path from "node:path";
import { Readable } from "node:stream";
import { startCenter, type TestCenter } from "../support/center";
import { makePng, imageFiles, imageStore } from "../support/images";
import { until } from "../support/until";
import { requestContext, type RequestContext } from "../../src/core/request-context";
import { ImageEntity } from "../../src/images/image.entity";
import { LocalImageStore, type ImageStore } from "../../src/images/image-store";
import { ImageError, ImagesService, type ImagesServiceOptions } from "../../src/images/images.service";
import { ImageUrlSigner } from "../../src/images/image-urls";
import { UserEntity } from "../../src/identity/user.entity";

let c: TestCenter;
const tokens: Record<string, string> = {};
const png = makePng(37, 21);
/** A PNG of a few kilobytes: its first 500 bytes are only a part of it. */
const bigPng = makePng(400, 300, 9);

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
/** Another images service over this center, with other options (its collaborators are the center's). */
const imagesWith = (opts: ImagesServiceOptions) => {
  const s = c.server.services;
  return new ImagesService(c.server.app, { printJobs: s.printJobs, pricing: s.pricing, orders: s.orders, urls: new ImageUrlSigner(c.config.jwtSecret) }, opts);
};
const row = (id: string) => c.ds.getRepository(ImageEntity).findOne({ where: { id } });
/** A request context for the user `id`, as the HTTP edge makes one. */
async function asUser(id: string): Promise<RequestContext> {
  return requestContext(c.server.app, { kind: "user", user: await c.ds.getRepository(UserEntity).findOneOrFail({ where: { id } }) }, "t", "local");
}

const files = (): string[] => imageFiles(c.config.dataDir);
const snapshot = () => imageStore(c);

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

describe("uploads asked of the service directly", () => {
  it("survives a body that fails while the spool file is still being opened", async () => {
    const before = await snapshot();
    const ctx = await asUser("U100");
    for (let i = 0; i < 20; i++) {
      const body = new Readable({ read() {} });
      const pending = images()
        .upload(ctx, "image/png", body)
        .catch((e) => e);
      body.push(bigPng.subarray(0, 100));
      setImmediate(() => body.destroy(new Error("connection reset")));
      const e = await pending;
      expect(e).toBeInstanceOf(ImageError);
      expect(e.code).toBe("CLIENT_ABORTED");
    }
    expect(await snapshot()).toEqual(before);
  });

  it("cleans up after a body stream that fails", async () => {
    const before = await snapshot();
    const ctx = await asUser("U100");
    const body = new Readable({ read() {} });
    const pending = images()
      .upload(ctx, "image/png", body)
      .catch((e) => e);
    body.push(bigPng.subarray(0, 500));
    await until("the upload to be spooled", () => files().some((f) => f.startsWith("tmp/upload-")), { timeoutMs: 5000 });
    body.destroy(new Error("connection reset"));
    const e = await pending;
    expect(e).toBeInstanceOf(ImageError);
    expect(e.code).toBe("CLIENT_ABORTED");
    expect(await snapshot()).toEqual(before);
  });

  it('refuses the ids "." and ".." (which no HTTP client sends as a path segment)', async () => {
    const ctx = await asUser("U000");
    for (const id of [".", ".."]) {
      await expect(images().upload(ctx, "image/png", Readable.from([png]), { id })).rejects.toMatchObject({ status: 400, code: "INVALID_ID" });
    }
  });

  it("removes the stored bytes when the row cannot be written (a customer's image took the id meanwhile)", async () => {
    const inner = new LocalImageStore(path.join(c.config.dataDir, "images"));
    // Stands for a race lost after the early check: the id becomes a customer's once the bytes are stored.
    const racing: ImageStore = {
      put: async (key, stream) => {
        await inner.put(key, stream);
        if (key.endsWith(".thumb.jpg")) {
          await c.ds.getRepository(ImageEntity).insert({
            id: "RACE-1",
            ownerUserId: "U100",
            stock: false,
            contentType: "image/png",
            bytes: 1,
            sha256: "0".repeat(64),
            width: 1,
            height: 1,
            storageKey: "zz/zz/RACE-1",
            createdAt: new Date(),
          });
        }
      },
      get: (key) => inner.get(key),
      delete: (key) => inner.delete(key),
      exists: (key) => inner.exists(key),
    };
    const ctx = await asUser("U000");
    const before = files();
    await expect(imagesWith({ store: racing }).upload(ctx, "image/png", Readable.from([png]), { id: "RACE-1" })).rejects.toMatchObject({
      status: 409,
      code: "IMAGE_ID_TAKEN",
    });
    expect(files()).toEqual(before);
    expect(await row("RACE-1")).toMatchObject({ ownerUserId: "U100", stock: false, sha256: "0".repeat(64) });
  });
});
