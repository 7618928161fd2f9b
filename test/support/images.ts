/** Small, valid image files made in the test, an upload helper, and what a refused upload must leave alone. */
import * as fs from "node:fs";
import * as path from "node:path";
import { deflateSync } from "node:zlib";
import { ImageEntity } from "../../src/images/image.entity";
import type { TestCenter } from "./center";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of the given size, filled with one colour (seed varies it so that hashes differ). */
export function makePng(width: number, height: number, seed = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([(seed * 37 + x) & 255, (seed * 91) & 255, 128], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export async function uploadPng(
  baseUrl: string,
  token: string,
  seed = 0,
  size: [number, number] = [40, 30],
): Promise<{ id: string; sha256: string; width: number; height: number }> {
  const res = await fetch(`${baseUrl}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "image/png" },
    body: new Uint8Array(makePng(size[0], size[1], seed)),
  });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; sha256: string; width: number; height: number };
}

/** Every file under a center's data directory's images/ and tmp/ (the store, its temp files, upload spools). */
export function imageFiles(dataDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dataDir, p));
    }
  };
  walk(path.join(dataDir, "images"));
  walk(path.join(dataDir, "tmp"));
  return out.sort();
}

/** What a refused upload must leave as it was: the image rows and the files of the store and spools. */
export async function imageStore(center: Pick<TestCenter, "ds" | "config">): Promise<{ rows: number; files: string[] }> {
  return { rows: await center.ds.getRepository(ImageEntity).count(), files: imageFiles(center.config.dataDir) };
}
