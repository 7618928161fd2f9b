/**
 * `POST /images` with a browser's `multipart/form-data` form, end to end on the real center: a good
 * form (as fetch's FormData sends it) answers as a raw upload does, and every refusal answers its
 * status and code with nothing stored, no row, no object and no spool file left behind.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import sharp from "sharp";
import { ImageEntity } from "../../src/images/image.entity";
import { FORM_MAX_FIELD_BYTES } from "../../src/images/multipart-upload";
import { startCenter, type TestCenter } from "../support/center";
import { imageFiles, imageStore, makePng } from "../support/images";
import { until } from "../support/until";

let c: TestCenter;
const tokens: Record<string, string> = {};
const png = makePng(37, 21, 3);
const bigPng = makePng(64, 64, 9);
let jpeg: Buffer;

beforeAll(async () => {
  // A budget of 1 MiB per user and window, for the quota test at the end.
  c = await startCenter({ env: { UPLOAD_BUDGET_MIB: "1" } });
  tokens.customer = await c.login("customer", "customer-pass");
  tokens.shop1 = await c.login("shop-1", "shop-1-pass");
  jpeg = await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 10, g: 90, b: 200 } } })
    .jpeg()
    .toBuffer();
});
afterAll(async () => {
  await c?.stop();
});

// --- helpers ----------------------------------------------------------------------------------------

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const BOUNDARY = "----printmesh-test-boundary-7MA4YWxk";

type Part = { name: string; value: string } | { name: string; filename: string; type?: string; bytes: Buffer };

/** A form body written out by hand, to send exactly what a test means (fetch's FormData would not). */
function formBody(parts: Part[], opts: { close?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${BOUNDARY}\r\n`));
    if ("value" in p) {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    } else {
      const type = p.type === undefined ? "" : `Content-Type: ${p.type}\r\n`;
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\n${type}\r\n`), p.bytes, Buffer.from("\r\n"));
    }
  }
  if (opts.close !== false) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  json: any;
}

async function postForm(
  body: Buffer | FormData,
  bearer: string | null = tokens.customer,
  type = `multipart/form-data; boundary=${BOUNDARY}`,
  on: TestCenter = c,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (!(body instanceof FormData)) headers["content-type"] = type;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${on.url}/images`, { method: "POST", headers, body: body instanceof FormData ? body : new Uint8Array(body) });
  return { status: res.status, json: await res.json() };
}

const files = (on: TestCenter = c): string[] => imageFiles(on.config.dataDir);
const snapshot = (on: TestCenter = c) => imageStore(on);

const pngPart = (bytes = png): Part => ({ name: "file", filename: "photo.png", type: "image/png", bytes });

// --- a good form ------------------------------------------------------------------------------------

describe("POST /images with a form", () => {
  it("stores the one file of a FormData (with text fields) as a raw upload would, and answers 201 alike", async () => {
    const form = new FormData();
    form.append("caption", "Holiday");
    form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "holiday.png");
    form.append("album", "2026");
    const r = await postForm(form);
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ id: expect.stringMatching(/^IMG-[0-9A-F]{20}$/), sha256: sha256(png), width: 37, height: 21 });

    const saved = await c.ds.getRepository(ImageEntity).findOneOrFail({ where: { id: r.json.id } });
    expect(saved).toMatchObject({ ownerUserId: "U100", stock: false, contentType: "image/png", bytes: png.length, sha256: sha256(png), width: 37, height: 21 });
    expect(fs.readFileSync(path.join(c.config.dataDir, "images", saved.storageKey)).equals(png)).toBe(true);
    expect(files().some((f) => f.startsWith("tmp/"))).toBe(false);

    // The same bytes sent raw get the same answer (a new id).
    const rawRes = await fetch(`${c.url}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.customer}`, "content-type": "image/png" },
      body: new Uint8Array(png),
    });
    expect(rawRes.status).toBe(201);
    expect({ ...((await rawRes.json()) as object), id: r.json.id }).toEqual(r.json);
  });

  it("takes the image type from the file part (a JPEG), whatever the form's own Content-Type parameters", async () => {
    const r = await postForm(
      formBody([{ name: "file", filename: "a.jpg", type: "image/jpeg", bytes: jpeg }]),
      tokens.customer,
      `Multipart/Form-Data; charset=utf-8; boundary="${BOUNDARY}"`,
    );
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ sha256: sha256(jpeg), width: 16, height: 12 });
    expect((await c.ds.getRepository(ImageEntity).findOneOrFail({ where: { id: r.json.id } })).contentType).toBe("image/jpeg");
  });
});

// --- refusals ---------------------------------------------------------------------------------------

describe("POST /images with a form refuses, storing nothing,", () => {
  it.each<[string, () => Buffer, number, string, RegExp]>([
    [
      "a form without a file",
      () => formBody([{ name: "caption", value: "no photo" }]),
      400,
      "MISSING_FILE",
      /no file: send the image in the form field "file"/,
    ],
    ["a form whose field `file` is text", () => formBody([{ name: "file", value: "photo.png" }]), 400, "MISSING_FILE", /no file/],
    ["an empty form", () => Buffer.from(`--${BOUNDARY}--\r\n`), 400, "MISSING_FILE", /no file/],
    ["two files", () => formBody([pngPart(), pngPart(bigPng)]), 400, "TOO_MANY_FILES", /exactly one file/],
    [
      "two files, the second under another name",
      () => formBody([pngPart(), { name: "other", filename: "b.png", type: "image/png", bytes: png }]),
      400,
      "TOO_MANY_FILES",
      /exactly one file/,
    ],
    [
      "a file under another name",
      () => formBody([{ name: "photo", filename: "a.png", type: "image/png", bytes: png }]),
      400,
      "INVALID_FORM",
      /form field "file", got a file in "photo"/,
    ],
    [
      "a field over the limit, before the file",
      () => formBody([{ name: "caption", value: "x".repeat(FORM_MAX_FIELD_BYTES + 1) }, pngPart()]),
      413,
      "PAYLOAD_TOO_LARGE",
      /form field "caption" is over 1024 bytes/,
    ],
    [
      "a field over the limit, after the file",
      () => formBody([pngPart(), { name: "caption", value: "x".repeat(FORM_MAX_FIELD_BYTES + 1) }]),
      413,
      "PAYLOAD_TOO_LARGE",
      /form field "caption" is over 1024 bytes/,
    ],
    [
      "too many fields",
      () => formBody([...Array.from({ length: 9 }, (_, i) => ({ name: `f${i}`, value: "v" })), pngPart()]),
      400,
      "INVALID_FORM",
      /at most 8 fields/,
    ],
    [
      "a file part that is not an image type",
      () => formBody([{ name: "file", filename: "a.txt", type: "text/plain", bytes: png }]),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /Content-Type must be image\/jpeg, image\/png or image\/tiff, got "text\/plain"/,
    ],
    // A part without a Content-Type is text/plain (RFC 7578).
    ["a file part without a type", () => formBody([{ name: "file", filename: "a.png", bytes: png }]), 415, "UNSUPPORTED_MEDIA_TYPE", /got "text\/plain"/],
    [
      "a file whose bytes are not its part's type",
      () => formBody([{ name: "file", filename: "a.jpg", type: "image/jpeg", bytes: png }]),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /a PNG image but Content-Type says image\/jpeg/,
    ],
    ["an empty file", () => formBody([pngPart(Buffer.alloc(0))]), 400, "EMPTY_BODY", /body is empty/],
    ["a damaged image", () => formBody([pngPart(Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]))]), 422, "INVALID_IMAGE", /cannot be decoded/],
    [
      "a form cut short after the file (no closing boundary)",
      () => formBody([pngPart()], { close: false }),
      400,
      "INVALID_FORM",
      /^The form's file part is incomplete: Unexpected end of form$/,
    ],
  ])("%s", async (_what, body, status, code, message) => {
    const before = await snapshot();
    const r = await postForm(body());
    expect({ status: r.status, code: r.json.error.code }).toEqual({ status, code });
    expect(r.json.error.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });

  it("a multipart Content-Type without a boundary (400 INVALID_FORM)", async () => {
    const before = await snapshot();
    const r = await postForm(formBody([pngPart()]), tokens.customer, "multipart/form-data");
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({ code: "INVALID_FORM", message: "The multipart/form-data body cannot be read: Multipart: Boundary not found" });
    expect(await snapshot()).toEqual(before);
  });

  it("an anonymous form (401) and a lab's (403), as for raw bytes", async () => {
    const before = await snapshot();
    const anonymous = await postForm(formBody([pngPart()]), null);
    expect([anonymous.status, anonymous.json.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    const lab = await postForm(formBody([pngPart()]), "lab01-key-0123456789abcdef");
    expect([lab.status, lab.json.error.code]).toEqual([403, "FORBIDDEN"]);
    expect(await snapshot()).toEqual(before);
  });

  it("a file over the image size limit (413), while one of exactly the limit is stored", async () => {
    // Two centers configured with IMAGE_MAX_BYTES at the image's size and one byte less.
    const exactly = await startCenter({ env: { IMAGE_MAX_BYTES: String(bigPng.length) } });
    const under = await startCenter({ env: { IMAGE_MAX_BYTES: String(bigPng.length - 1) } });
    try {
      const exact = await postForm(formBody([pngPart(bigPng)]), await exactly.login("customer", "customer-pass"), undefined, exactly);
      expect(exact.status).toBe(201);
      expect(exact.json.sha256).toBe(sha256(bigPng));

      const customer = await under.login("customer", "customer-pass");
      const before = await snapshot(under);
      const over = await postForm(formBody([pngPart(bigPng)]), customer, undefined, under);
      expect(over.status).toBe(413);
      expect(over.json.error).toEqual({ code: "PAYLOAD_TOO_LARGE", message: expect.stringContaining(`at most ${bigPng.length - 1} bytes`) });
      expect(await snapshot(under)).toEqual(before);

      // A form far over the limit is refused from its Content-Length, before its file is read.
      const huge = await postForm(formBody([pngPart(Buffer.concat([bigPng, Buffer.alloc(400_000)]))]), customer, undefined, under);
      expect([huge.status, huge.json.error.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
      expect(await snapshot(under)).toEqual(before);
    } finally {
      await under.stop();
      await exactly.stop();
    }
  });

  it("a form whose client goes away mid-file: the spool file is removed and nothing is stored", async () => {
    const before = await snapshot();
    const head = formBody([pngPart(bigPng)]);
    const socket = net.connect(Number(new URL(c.url).port), "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      `POST /images HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tokens.customer}\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${head.length + 100_000}\r\n\r\n`,
    );
    socket.write(head.subarray(0, 600));
    await until("the form's file to be spooled", () => files().some((f) => f.startsWith("tmp/upload-")), { timeoutMs: 5000 });
    socket.destroy();
    await until("the spool file to be removed", () => !files().some((f) => f.startsWith("tmp/")), { timeoutMs: 5000 });
    expect(await snapshot()).toEqual(before);
    // The center goes on serving forms.
    expect((await postForm(formBody([pngPart()]))).status).toBe(201);
  });

  it("a form past the user's byte budget (429 UPLOAD_QUOTA_EXCEEDED, Retry-After), as for raw bytes", async () => {
    // Noise barely compresses: about 600 KB, so two of them do not fit in the 1 MiB budget.
    const noise = Buffer.from(Array.from({ length: 450 * 450 * 3 }, (_, i) => (i * 7919 + (i >> 5) * 104729) % 251));
    const heavy = await sharp(noise, { raw: { width: 450, height: 450, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(heavy.length).toBeGreaterThan(600_000);
    const first = await postForm(formBody([pngPart(heavy)]), tokens.shop1);
    expect(first.status).toBe(201);
    const before = await snapshot();
    const res = await fetch(`${c.url}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.shop1}`, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      body: new Uint8Array(formBody([pngPart(heavy)])),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UPLOAD_QUOTA_EXCEEDED");
    expect(await snapshot()).toEqual(before);
  });
});
