/**
 * Images end to end on the real center: uploads (JPEG, PNG, TIFF made here byte by byte), every
 * refusal with its status and code and proof that nothing was left behind, stock images, thumbnails
 * and signed downloads. The service's own checks (signatures, the usability check orders rely on,
 * bodies that fail under it, ids no HTTP client sends, a lost race for an id) are
 * test/images/images-service.test.ts.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import * as zlib from "node:zlib";
import sharp from "sharp";
import { startCenter, type TestCenter } from "../support/center";
import { authzMatrix, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { ImageEntity } from "../../src/images/image.entity";
import { sniffImageType } from "../../src/images/images.service";
import { ImageUrlSigner } from "../../src/images/image-urls";
import { until } from "../support/until";
import { imageFiles, imageStore } from "../support/images";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const tokens: Record<string, string> = {};
let jpeg: Buffer;
const png = makePng(37, 21);
const tiff = makeTiff(5, 3);
const bigPng = makePng(64, 64, true);

beforeAll(async () => {
  c = await startCenter();
  tokens.center = await c.login("center", "center-pass-1");
  tokens.customer = await c.login("customer", "customer-pass");
  tokens.shop1 = await c.login("shop-1", "shop-1-pass");
  tokens.groupA = await c.login("group-a", "group-a-pass");
  const created = await c.gql(
    `mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } errors { code } } }`,
    { input: { id: "U101", login: "customer-2", name: "Second customer", password: "customer-2-pass", role: "GENERAL_USER" } },
    tokens.center,
  );
  expect(created.data!.createUser.errors).toEqual([]);
  tokens.customer2 = await c.login("customer-2", "customer-2-pass");
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 60 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
});
afterAll(async () => {
  await c?.stop();
});

// --- helpers ----------------------------------------------------------------------------------------

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Answer {
  status: number;
  headers: Headers;
  json: any;
  bytes: Buffer;
}

async function send(
  method: string,
  url: string,
  opts: { body?: Buffer; type?: string; bearer?: string | null; headers?: Record<string, string> } = {},
  on: TestCenter = c,
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.type) headers["content-type"] = opts.type;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const res = await fetch(on.url + url, { method, headers, body: opts.body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const isJson = (res.headers.get("content-type") ?? "").startsWith("application/json");
  return { status: res.status, headers: res.headers, json: isJson ? JSON.parse(bytes.toString("utf8")) : null, bytes };
}

const post = (body: Buffer, type: string, bearer: string | null = tokens.customer, on: TestCenter = c) => send("POST", "/images", { body, type, bearer }, on);
const put = (id: string, body: Buffer, type: string, bearer: string | null = tokens.center) =>
  send("PUT", `/images/${encodeURIComponent(id)}`, { body, type, bearer });

/**
 * Signed links to originals, as the center makes them. The public API hands such links out only
 * bound to a print job (`&job=`); the plain ones tested here are computed with the center's own
 * signer from its secret, which only computes a URL and acts on nothing.
 */
const urls = () => new ImageUrlSigner(c.config.jwtSecret);
const row = (id: string) => c.ds.getRepository(ImageEntity).findOne({ where: { id } });
const storeFile = (key: string) => path.join(c.config.dataDir, "images", key);

const files = (on: TestCenter = c): string[] => imageFiles(on.config.dataDir);
const snapshot = (on: TestCenter = c) => imageStore(on);

// --- uploads -----------------------------------------------------------------------------------------

describe("POST /images", () => {
  it.each([
    ["JPEG", "image/jpeg", () => jpeg, 64, 48],
    ["PNG", "image/png", () => png, 37, 21],
    ["TIFF", "image/tiff", () => tiff, 5, 3],
  ])("stores a %s owned by the caller and answers 201 with id, sha256 and pixel size", async (_name, type, bytes, width, height) => {
    const body = bytes();
    const r = await post(body, type);
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ id: expect.stringMatching(/^IMG-[0-9A-F]{20}$/), sha256: sha256(body), width, height });

    const saved = await row(r.json.id);
    expect(saved).toMatchObject({
      id: r.json.id,
      ownerUserId: "U100",
      stock: false,
      contentType: type,
      bytes: body.length,
      sha256: sha256(body),
      width,
      height,
    });
    expect(saved!.storageKey).toMatch(new RegExp(`^[0-9a-f]{2}/[0-9a-f]{2}/${r.json.id}$`));
    expect(Math.abs(saved!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(fs.readFileSync(storeFile(saved!.storageKey)).equals(body)).toBe(true);
    expect(fs.existsSync(storeFile(saved!.storageKey + ".thumb.jpg"))).toBe(true);
  });

  it("accepts parameters on Content-Type and two uploads of the same bytes as two images", async () => {
    const a = await post(png, "image/png; charset=binary");
    const b = await post(png, "IMAGE/PNG");
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.json.id).not.toBe(b.json.id);
    expect(a.json.sha256).toBe(b.json.sha256);
  });

  it("accepts an upload of exactly the size limit and refuses one byte more, streamed without Content-Length", async () => {
    // Two centers configured with IMAGE_MAX_BYTES at the image's size and one byte less.
    const exactly = await startCenter({ env: { IMAGE_MAX_BYTES: String(bigPng.length) } });
    const under = await startCenter({ env: { IMAGE_MAX_BYTES: String(bigPng.length - 1) } });
    try {
      const chunked = async (on: TestCenter) =>
        rawUpload(
          chunks(bigPng, 100),
          { "content-type": "image/png", authorization: `Bearer ${await on.login("customer", "customer-pass")}`, "transfer-encoding": "chunked" },
          on,
        );
      const ok = await chunked(exactly);
      expect(ok.status).toBe(201);
      const image = JSON.parse(ok.body);
      expect(image).toMatchObject({ sha256: sha256(bigPng), width: 64, height: 64 });
      expect(await exactly.ds.getRepository(ImageEntity).findOneOrFail({ where: { id: image.id } })).toMatchObject({ bytes: bigPng.length });

      const before = await snapshot(under);
      const refused = await chunked(under);
      expect(refused.status).toBe(413);
      expect(JSON.parse(refused.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(await snapshot(under)).toEqual(before);
    } finally {
      await under.stop();
      await exactly.stop();
    }
  });
});

describe("refused uploads leave no row and no file", () => {
  const truncatedPng = () => png.subarray(0, png.length - 30);
  const truncatedJpeg = () => jpeg.subarray(0, Math.floor(jpeg.length / 2));
  const headerOnlyPng = () => png.subarray(0, 8 + 25); // signature + IHDR, no pixel data
  const garbage = Buffer.from("this is certainly not an image, just some words".repeat(10));

  it.each<[string, () => Buffer, string, string | null, number, string]>([
    ["no token", () => png, "image/png", null, 401, "UNAUTHENTICATED"],
    ["a forged token", () => png, "image/png", "a.b.c", 401, "UNAUTHENTICATED"],
    ["a lab key", () => png, "image/png", LAB01_KEY, 403, "FORBIDDEN"],
    ["PNG bytes declared as JPEG", () => png, "image/jpeg", "customer", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["JPEG bytes declared as TIFF", () => jpeg, "image/tiff", "customer", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["an undeclared type", () => png, "application/octet-stream", "customer", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["a GIF", () => Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"), "image/gif", "customer", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["garbage bytes", () => garbage, "image/png", "customer", 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["an empty body", () => Buffer.alloc(0), "image/png", "customer", 400, "EMPTY_BODY"],
    ["a truncated PNG", truncatedPng, "image/png", "customer", 422, "INVALID_IMAGE"],
    ["a PNG header without pixels", headerOnlyPng, "image/png", "customer", 422, "INVALID_IMAGE"],
    ["a truncated JPEG", truncatedJpeg, "image/jpeg", "customer", 422, "INVALID_IMAGE"],
  ])("%s", async (_what, body, type, who, status, code) => {
    const before = await snapshot();
    const bearer = who === null ? null : (tokens[who] ?? who);
    const r = await post(body(), type, bearer);
    expect(r.status).toBe(status);
    expect(r.json).toEqual({ error: { code, message: expect.any(String) } });
    expect(r.json.error.message.length).toBeGreaterThan(10);
    if (status === 401) expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await snapshot()).toEqual(before);
  });

  it("names both types when the bytes contradict Content-Type", async () => {
    const r = await post(png, "image/jpeg");
    expect(r.json.error.message).toBe("The body is a PNG image but Content-Type says image/jpeg");
  });

  it("refuses an oversized upload with 413, by Content-Length and by counting a chunked body", async () => {
    // A center configured with IMAGE_MAX_BYTES=1000.
    const small = await startCenter({ env: { IMAGE_MAX_BYTES: "1000" } });
    try {
      const customer = await small.login("customer", "customer-pass");
      const before = await snapshot(small);
      const r = await post(bigPng, "image/png", customer, small);
      expect(r.status).toBe(413);
      expect(r.json.error).toEqual({ code: "PAYLOAD_TOO_LARGE", message: "An image may have at most 1000 bytes (0.0 MiB)" });
      const chunked = await rawUpload(
        chunks(bigPng, 300),
        {
          "content-type": "image/png",
          authorization: `Bearer ${customer}`,
          "transfer-encoding": "chunked",
        },
        small,
      );
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body).error.code).toBe("PAYLOAD_TOO_LARGE");
      // A small image still passes the small limit.
      expect((await post(makePng(2, 2), "image/png", customer, small)).status).toBe(201);
      const after = await snapshot(small);
      expect(after.rows).toBe(before.rows + 1);
    } finally {
      await small.stop();
    }
  });

  it("cleans up after a client that goes away mid-upload", async () => {
    const before = await snapshot();
    const socket = net.connect(Number(new URL(c.url).port), "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      `POST /images HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tokens.customer}\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n`,
    );
    socket.write(bigPng.subarray(0, 2000));
    // The spool file appears once the body is being read...
    await until("the upload to be spooled", () => files().some((f) => f.startsWith("tmp/upload-")), { timeoutMs: 5000 });
    socket.destroy();
    // ...and is gone, with no row, once the server notices the client left.
    await until("the spool file to be removed", () => !files().some((f) => f.startsWith("tmp/")), { timeoutMs: 5000 });
    expect(await snapshot()).toEqual(before);
  });
});

// --- stock images ------------------------------------------------------------------------------------

describe("PUT /images/<id>", () => {
  it("stores a stock image for a center admin (201), replaces it (200) and removes the old bytes", async () => {
    const first = await put("STOCK-1", png, "image/png");
    expect(first.status).toBe(201);
    expect(first.json).toEqual({ id: "STOCK-1", sha256: sha256(png), width: 37, height: 21 });
    const v1 = (await row("STOCK-1"))!;
    expect(v1).toMatchObject({ ownerUserId: null, stock: true, contentType: "image/png", bytes: png.length });
    expect(fs.readFileSync(storeFile(v1.storageKey)).equals(png)).toBe(true);

    const second = await put("STOCK-1", jpeg, "image/jpeg");
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ id: "STOCK-1", sha256: sha256(jpeg), width: 64, height: 48 });
    const v2 = (await row("STOCK-1"))!;
    expect(v2).toMatchObject({ ownerUserId: null, stock: true, contentType: "image/jpeg", bytes: jpeg.length, sha256: sha256(jpeg) });
    expect(v2.storageKey).not.toBe(v1.storageKey);
    expect(fs.readFileSync(storeFile(v2.storageKey)).equals(jpeg)).toBe(true);
    expect(fs.existsSync(storeFile(v1.storageKey))).toBe(false);
    expect(fs.existsSync(storeFile(v1.storageKey + ".thumb.jpg"))).toBe(false);
    expect(await c.ds.getRepository(ImageEntity).count({ where: { id: "STOCK-1" } })).toBe(1);
  });

  it("gives a charged image (listed without bytes) its bytes", async () => {
    const r = await put("IMG-C01", tiff, "image/tiff");
    expect(r.status).toBe(201);
    expect(await row("IMG-C01")).toMatchObject({ stock: true, ownerUserId: null, contentType: "image/tiff", width: 5, height: 3 });
  });

  const stockPut: MatrixOperation = {
    op: "PUT /images/STOCK-NOPE",
    send: async (_v, bearer) => {
      const r = await put("STOCK-NOPE", png, "image/png", bearer);
      return { code: r.status < 300 ? null : r.json.error.code, status: r.status };
    },
    applied: async () => (await row("STOCK-NOPE")) !== null,
  };
  const bearerOf = (who: string | null) => () => (who === null ? null : (tokens[who] ?? who));
  const refused: MatrixCaller[] = [
    ["anonymous", bearerOf(null), { status: 401, code: "UNAUTHENTICATED" }],
    ["a customer", bearerOf("customer"), { status: 403, code: "FORBIDDEN" }],
    ["a shop admin", bearerOf("shop1"), { status: 403, code: "FORBIDDEN" }],
    ["a group admin", bearerOf("groupA"), { status: 403, code: "FORBIDDEN" }],
    ["a lab", bearerOf(LAB01_KEY), { status: 403, code: "FORBIDDEN" }],
  ];
  for (const cell of authzMatrix({ operations: [stockPut], callers: refused, snapshot, title: (_op, who) => `is refused to ${who}` })) it(cell.title, cell.run);

  it("refuses to overwrite a customer's image (409), leaving it as it was", async () => {
    const mine = await post(png, "image/png");
    const saved = (await row(mine.json.id))!;
    const before = await snapshot();
    const r = await put(mine.json.id, jpeg, "image/jpeg");
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe("IMAGE_ID_TAKEN");
    expect(await row(mine.json.id)).toEqual(saved);
    expect(await snapshot()).toEqual(before);
  });

  it.each(["has space", "a".repeat(65), ".hidden", "..x", "x@y", "a/b", "é"])("refuses the id %j (400)", async (id) => {
    const before = await snapshot();
    const r = await put(id, png, "image/png");
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("INVALID_ID");
    expect(await snapshot()).toEqual(before);
  });

  it("refuses bad bytes under a chosen id without touching the existing stock image", async () => {
    await put("STOCK-2", png, "image/png");
    const v1 = (await row("STOCK-2"))!;
    const before = await snapshot();
    const r = await put("STOCK-2", png.subarray(0, png.length - 30), "image/png");
    expect(r.status).toBe(422);
    expect(await row("STOCK-2")).toEqual(v1);
    expect(await snapshot()).toEqual(before);
  });
});

// --- reading -----------------------------------------------------------------------------------------

describe("GET /images/<id> and thumbnails", () => {
  let mine: string;
  let big: string;
  beforeAll(async () => {
    mine = (await post(png, "image/png")).json.id;
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#3366cc" } })
      .jpeg()
      .toBuffer();
    big = (await post(photo, "image/jpeg")).json.id;
    await put("STOCK-T", tiff, "image/tiff");
    // Admins read a customer's image through an order of their scope: here shop SP01 of group SG01.
    const placed = await c.gql(
      `mutation($input: OrderInput!) { placeOrder(input: $input) { errors { code } } }`,
      {
        input: {
          shopId: "SP01",
          fulfilment: { method: "PICKUP" },
          subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: mine }, { imageId: big }] }],
        },
      },
      tokens.customer,
    );
    expect(placed.data!.placeOrder.errors).toEqual([]);
  });

  it("shows metadata to the owner and admins, and refuses others", async () => {
    const r = await send("GET", `/images/${mine}`, { bearer: tokens.customer });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      id: mine,
      ownerUserId: "U100",
      stock: false,
      contentType: "image/png",
      bytes: png.length,
      sha256: sha256(png),
      width: 37,
      height: 21,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      thumbnailUrl: `/images/${mine}/thumbnail`,
    });
    for (const who of ["center", "shop1", "groupA"]) expect((await send("GET", `/images/${mine}`, { bearer: tokens[who] })).status).toBe(200);
    expect((await send("GET", `/images/${mine}`, { bearer: tokens.customer2 })).json.error.code).toBe("FORBIDDEN");
    expect((await send("GET", `/images/${mine}`)).status).toBe(401);
    expect((await send("GET", `/images/IMG-NOPE`, { bearer: tokens.center })).json).toEqual({ error: { code: "NOT_FOUND", message: "No image IMG-NOPE" } });
  });

  it("serves a JPEG thumbnail of at most 320 px to the owner, and 403 to another customer", async () => {
    const r = await send("GET", `/images/${big}/thumbnail`, { bearer: tokens.customer });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/jpeg");
    expect(Number(r.headers.get("content-length"))).toBe(r.bytes.length);
    const meta = await sharp(r.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 320, 240]);

    const other = await send("GET", `/images/${big}/thumbnail`, { bearer: tokens.customer2 });
    expect(other.status).toBe(403);
    expect(other.json.error.code).toBe("FORBIDDEN");
    expect((await send("GET", `/images/${big}/thumbnail`)).status).toBe(401);
    expect((await send("GET", `/images/${big}/thumbnail`, { bearer: LAB01_KEY })).status).toBe(403);
    expect((await send("GET", `/images/${big}/thumbnail`, { bearer: tokens.shop1 })).status).toBe(200);
  });

  it("never enlarges a small image, and thumbnails TIFF stock images for every customer", async () => {
    const small = await send("GET", `/images/${mine}/thumbnail`, { bearer: tokens.customer });
    expect(await sharp(small.bytes).metadata()).toMatchObject({ format: "jpeg", width: 37, height: 21 });
    const stock = await send("GET", `/images/STOCK-T/thumbnail`, { bearer: tokens.customer2 });
    expect(stock.status).toBe(200);
    expect(await sharp(stock.bytes).metadata()).toMatchObject({ format: "jpeg", width: 5, height: 3 });
  });

  it("makes a missing thumbnail again from the original and caches it", async () => {
    const key = (await row(big))!.storageKey + ".thumb.jpg";
    fs.rmSync(storeFile(key));
    const r = await send("GET", `/images/${big}/thumbnail`, { bearer: tokens.customer });
    expect(r.status).toBe(200);
    expect(await sharp(r.bytes).metadata()).toMatchObject({ width: 320, height: 240 });
    expect(fs.readFileSync(storeFile(key)).equals(r.bytes)).toBe(true);
  });
});

// --- signed downloads --------------------------------------------------------------------------------

describe("signed URLs for originals", () => {
  let id: string;
  beforeAll(async () => {
    id = (await post(tiff, "image/tiff")).json.id;
  });

  it("downloads the original, byte for byte, with type, length and ETag", async () => {
    const url = urls().signedUrl(id);
    expect(url).toMatch(new RegExp(`^/images/${id}/original\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    const r = await send("GET", url);
    expect(r.status).toBe(200);
    expect(r.bytes.equals(tiff)).toBe(true);
    expect(r.headers.get("content-type")).toBe("image/tiff");
    expect(r.headers.get("content-length")).toBe(String(tiff.length));
    expect(r.headers.get("etag")).toBe(`"${sha256(tiff)}"`);
    const again = await send("GET", url, { headers: { "if-none-match": `"${sha256(tiff)}"` } });
    expect(again.status).toBe(304);
  });

  it("needs no session, and ignores one", async () => {
    const r = await send("GET", urls().signedUrl(id), { bearer: tokens.customer2 });
    expect(r.status).toBe(200);
  });

  it("refuses a tampered, foreign, missing or expired signature with 403", async () => {
    const url = urls().signedUrl(id);
    const sig = new URL(url, c.url).searchParams.get("sig")!;
    const exp = new URL(url, c.url).searchParams.get("exp")!;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    const otherId = (await post(png, "image/png")).json.id;
    const cases: Array<[string, string]> = [
      [`/images/${id}/original?exp=${exp}&sig=${flipped}`, "INVALID_SIGNATURE"],
      [`/images/${id}/original?exp=${Number(exp) + 1000}&sig=${sig}`, "INVALID_SIGNATURE"],
      [`/images/${otherId}/original?exp=${exp}&sig=${sig}`, "INVALID_SIGNATURE"],
      [`/images/${id}/original?exp=${exp}`, "INVALID_SIGNATURE"],
      [`/images/${id}/original`, "INVALID_SIGNATURE"],
      [`/images/${id}/original?exp=${exp}&sig=${sig}&sig=${sig}`, "INVALID_SIGNATURE"],
      [urls().signedUrl(id, 60, Date.now() - 120_000), "SIGNATURE_EXPIRED"],
    ];
    for (const [u, code] of cases) {
      const r = await send("GET", u);
      expect([u, r.status, r.json?.error?.code]).toEqual([u, 403, code]);
    }
  });

  it("answers 404 for a well-signed URL of an image that does not exist", async () => {
    const r = await send("GET", urls().signedUrl("IMG-GONE"));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("NOT_FOUND");
  });
});

describe("type sniffing", () => {
  it.each<[string, number[], string | null]>([
    ["JPEG", [0xff, 0xd8, 0xff, 0xe0], "image/jpeg"],
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "image/png"],
    ["little-endian TIFF", [0x49, 0x49, 0x2a, 0x00], "image/tiff"],
    ["big-endian TIFF", [0x4d, 0x4d, 0x00, 0x2a], "image/tiff"],
    ["a PNG signature cut short", [0x89, 0x50, 0x4e, 0x47], null],
    ["TIFF with the wrong magic", [0x49, 0x49, 0x00, 0x2a], null],
    ["GIF", [0x47, 0x49, 0x46, 0x38], null],
    ["nothing", [], null],
  ])("%s", (_what, bytes, type) => {
    expect(sniffImageType(Uint8Array.from(bytes))).toBe(type);
  });
});

// --- image makers ------------------------------------------------------------------------------------

function chunks(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An 8-bit RGB PNG; `noisy` pixels barely compress, to make a file larger than its pixel count. */
function makePng(width: number, height: number, noisy = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    raw[y * stride] = 0; // filter: none
    for (let x = 0; x < width * 3; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      raw[y * stride + 1 + x] = noisy ? seed >>> 24 : (x * 7 + y * 13) & 0xff;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A baseline little-endian TIFF: uncompressed 8-bit RGB, one strip. */
function makeTiff(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) & 0xff;
  const tags: Array<[number, number, number, number]> = []; // tag, type, count, value/offset
  const SHORT = 3;
  const LONG = 4;
  const RATIONAL = 5;
  const entries = 12;
  const ifdOffset = 8;
  const ifdSize = 2 + entries * 12 + 4;
  const bitsOffset = ifdOffset + ifdSize;
  const xresOffset = bitsOffset + 6;
  const yresOffset = xresOffset + 8;
  const pixelOffset = yresOffset + 8;
  tags.push([256, LONG, 1, width]);
  tags.push([257, LONG, 1, height]);
  tags.push([258, SHORT, 3, bitsOffset]);
  tags.push([259, SHORT, 1, 1]); // no compression
  tags.push([262, SHORT, 1, 2]); // RGB
  tags.push([273, LONG, 1, pixelOffset]);
  tags.push([277, SHORT, 1, 3]);
  tags.push([278, LONG, 1, height]);
  tags.push([279, LONG, 1, pixels.length]);
  tags.push([282, RATIONAL, 1, xresOffset]);
  tags.push([283, RATIONAL, 1, yresOffset]);
  tags.push([296, SHORT, 1, 2]); // inches
  if (tags.length !== entries) throw new Error("TIFF maker: tag count");
  const head = Buffer.alloc(pixelOffset);
  head.write("II", 0, "latin1");
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(ifdOffset, 4);
  head.writeUInt16LE(entries, ifdOffset);
  tags.forEach(([tag, type, count, value], i) => {
    const at = ifdOffset + 2 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(count, at + 4);
    if (type === SHORT && count === 1) head.writeUInt16LE(value, at + 8);
    else head.writeUInt32LE(value, at + 8);
  });
  head.writeUInt32LE(0, ifdOffset + 2 + entries * 12); // no next IFD
  for (let i = 0; i < 3; i++) head.writeUInt16LE(8, bitsOffset + i * 2);
  head.writeUInt32LE(72, xresOffset);
  head.writeUInt32LE(1, xresOffset + 4);
  head.writeUInt32LE(72, yresOffset);
  head.writeUInt32LE(1, yresOffset + 4);
  return Buffer.concat([head, pixels]);
}

/** An upload over a plain HTTP request, to send a chunked body (fetch would buffer and count it). */
function rawUpload(parts: Buffer[], headers: Record<string, string>, on: TestCenter = c): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(on.url);
    const req = http.request({ host: u.hostname, port: u.port, path: "/images", method: "POST", headers }, (res) => {
      const got: Buffer[] = [];
      res.on("data", (d: Buffer) => got.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(got).toString("utf8") }));
    });
    req.on("error", reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}
