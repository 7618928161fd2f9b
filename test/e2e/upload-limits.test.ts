/**
 * What bounds uploads, through the real center: a per-user rate and byte budget per window (429
 * with a code and Retry-After, nothing stored), a pixel cap judged from the header before any
 * decoding (IMAGE_MAX_PIXELS, 100 MP by default). The bound on concurrent decodes (503 BUSY with
 * Retry-After once the queue is full) needs a decode slot held, which no upload can do on cue: it
 * is test/images/decode-gate.test.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { ImageEntity } from "../../src/images/image.entity";
import { loadConfig } from "../../src/config";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter({
    env: { UPLOAD_RATE_LIMIT: "5", UPLOAD_BUDGET_MIB: "1", UPLOAD_WINDOW_SECONDS: "600" },
  });
  t.center = await c.login("center", "center-pass-1");
  t.customer = await c.login("customer", "customer-pass");
  for (const [id, login] of [
    ["U201", "rate-user"],
    ["U202", "budget-user"],
  ]) {
    const made = await c.gql(
      `mutation($input: CreateUserInput!) { createUser(input: $input) { errors { code } } }`,
      { input: { id, login, name: login, password: "long-enough-pw", role: "GENERAL_USER" } },
      t.center,
    );
    expect(made.data!.createUser.errors).toEqual([]);
    t[login] = await c.login(login, "long-enough-pw");
  }
});
afterAll(async () => {
  await c?.stop();
});

async function post(body: Buffer, bearer: string): Promise<{ status: number; json: any; retryAfter: string | null }> {
  const res = await fetch(`${c.url}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "image/png" },
    body: new Uint8Array(body),
  });
  return { status: res.status, json: await res.json(), retryAfter: res.headers.get("retry-after") };
}
const rowsOf = (userId: string) => c.ds.getRepository(ImageEntity).count({ where: { ownerUserId: userId } });
function storedFiles(): number {
  let n = 0;
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else n++;
    }
  };
  walk(path.join(c.config.dataDir, "images"));
  walk(path.join(c.config.dataDir, "tmp"));
  return n;
}

/** A PNG whose header claims width x height, with a few bytes of pixel data: enough to read its header, not to decode. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const real = makePng(4, 4, 9);
  const ihdrData = real.subarray(16, 29);
  const fake = Buffer.from(ihdrData);
  fake.writeUInt32BE(width, 0);
  fake.writeUInt32BE(height, 4);
  const crc = (buf: Buffer) => {
    let x = 0xffffffff;
    for (const b of buf) {
      x ^= b;
      for (let k = 0; k < 8; k++) x = x & 1 ? 0xedb88320 ^ (x >>> 1) : x >>> 1;
    }
    return (x ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  return Buffer.concat([real.subarray(0, 8), chunk("IHDR", fake), chunk("IDAT", deflateSync(Buffer.alloc(64))), chunk("IEND", Buffer.alloc(0))]);
}

describe("per-user quota", () => {
  it("the sixth upload in the window answers 429 RATE_LIMITED with Retry-After, and stores nothing", async () => {
    for (let i = 0; i < 5; i++) expect((await post(makePng(8, 8, 100 + i), t["rate-user"])).status).toBe(201);
    const files = storedFiles();
    const r = await post(makePng(8, 8, 200), t["rate-user"]);
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("RATE_LIMITED");
    expect(r.json.error.message).toBe("At most 5 uploads per 600 s");
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(Number(r.retryAfter)).toBeLessThanOrEqual(600);
    expect(await rowsOf("U201")).toBe(5);
    expect(storedFiles()).toBe(files);
    // Another user is not held back by it.
    expect((await post(makePng(8, 8, 201), t.customer)).status).toBe(201);
  });

  it("an upload past the byte budget answers 429 UPLOAD_QUOTA_EXCEEDED, and stores nothing", async () => {
    const big = await sharp(randomBytes(450 * 450 * 3), { raw: { width: 450, height: 450, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(); // noise: about 0.58 MiB
    const small = makePng(8, 8, 8);
    expect(big.length).toBeGreaterThan(550_000);
    expect((await post(big, t["budget-user"])).status).toBe(201);
    expect((await post(small, t["budget-user"])).status).toBe(201);
    const files = storedFiles();
    const r = await post(big, t["budget-user"]);
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("UPLOAD_QUOTA_EXCEEDED");
    expect(r.json.error.message).toBe(
      `Uploads may store at most 1048576 bytes per 600 s; ${big.length + small.length} are used and this image has ${big.length}`,
    );
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(await rowsOf("U202")).toBe(2);
    expect(storedFiles()).toBe(files);
  });
});

describe("pixel cap", () => {
  it("defaults to 100 MP and is read from IMAGE_MAX_PIXELS; an image over it is refused from its header (422 TOO_MANY_PIXELS)", async () => {
    expect(loadConfig({ JWT_SECRET: "x".repeat(40), DATA_DIR: c.config.dataDir }).images.maxPixels).toBe(100_000_000);
    expect(() => loadConfig({ JWT_SECRET: "x".repeat(40), DATA_DIR: c.config.dataDir, IMAGE_MAX_PIXELS: "0" })).toThrow(
      /IMAGE_MAX_PIXELS must be a whole number from 1 to 268402689/,
    );
    const before = await c.ds.getRepository(ImageEntity).count();
    const files = storedFiles();
    // 12,000 x 10,000 = 120 MP: under libvips' own cap (which used to be the center's), over the center's.
    const r = await post(pngHeaderOnly(12_000, 10_000), t.customer);
    expect(r.status).toBe(422);
    expect(r.json.error).toEqual({ code: "TOO_MANY_PIXELS", message: "The image has 12000 x 10000 pixels; at most 100000000 pixels are accepted" });
    expect(await c.ds.getRepository(ImageEntity).count()).toBe(before);
    expect(storedFiles()).toBe(files);
  });
});
