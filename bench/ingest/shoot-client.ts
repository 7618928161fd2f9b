/**
 * The ingest benchmark's side of the public API: a shoot and its capture devices made through
 * GraphQL as a shop admin, the devices' uploads (`POST /shoots/<id>/images`, the device's key as the
 * bearer, keep-alive, every answer checked) and the `shootImages` pages read back.
 */
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { graphql } from "../common";

/** A shoot of `shopId`, made by `token` (an admin of the shop); its id. */
export async function newShoot(url: string, token: string, shopId: string, name: string): Promise<string> {
  const s = await graphql<{ createShoot: { shoot: { id: string } | null; errors: unknown[] } }>(
    url,
    token,
    "mutation($input: ShootInput!) { createShoot(input: $input) { shoot { id } errors { code message field } } }",
    { input: { shopId, name } },
  );
  if (!s.createShoot.shoot) throw new Error(`createShoot: ${JSON.stringify(s.createShoot.errors)}`);
  return s.createShoot.shoot.id;
}

/** `count` capture devices of `shopId`, made by `token`; their keys. */
export async function newDevices(url: string, token: string, shopId: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let d = 0; d < count; d++) {
    const r = await graphql<{ createCaptureDevice: { key: string | null; errors: unknown[] } }>(
      url,
      token,
      "mutation($shopId: ID!, $name: String!) { createCaptureDevice(shopId: $shopId, name: $name) { key errors { code message field } } }",
      { shopId, name: `Benchmark camera ${d + 1}` },
    );
    if (!r.createCaptureDevice.key) throw new Error(`createCaptureDevice: ${JSON.stringify(r.createCaptureDevice.errors)}`);
    keys.push(r.createCaptureDevice.key);
  }
  return keys;
}

export interface UploadRun {
  /** Images stored (answered 201 with the image's size). */
  stored: number;
  /** Bytes of the images stored. */
  bytes: number;
  failed: number;
  firstFailures: string[];
  seconds: number;
  /** When each stored image was answered, ms after the start, in the order they were answered. */
  doneAt: Float64Array;
}

/**
 * Images `from` to `to - 1` uploaded into the shoot by the devices (one key each) at once, each device sending its next
 * image as soon as the last one is answered (one keep-alive connection each). `onStored` runs after
 * each stored image with how many are stored so far.
 */
export async function uploadAll(
  url: string,
  shootId: string,
  keys: string[],
  images: { bytesOf(i: number): Buffer; width: number; height: number },
  from: number,
  to: number,
  onStored: (stored: number) => void = () => {},
): Promise<UploadRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: keys.length });
  const target = new URL(`/shoots/${encodeURIComponent(shootId)}/images`, url);
  const doneAt = new Float64Array(to - from);
  const run: UploadRun = { stored: 0, bytes: 0, failed: 0, firstFailures: [], seconds: 0, doneAt };
  let next = from;
  const started = performance.now();
  await Promise.all(
    keys.map(async (key) => {
      while (next < to) {
        const i = next++;
        const body = images.bytesOf(i);
        const why = await uploadOne(agent, target, key, body, `BIB-${i % 997}`).then(
          (a) => (a.status === 201 && a.width === images.width && a.height === images.height ? null : `image ${i}: HTTP ${a.status} ${a.text.slice(0, 300)}`),
          (e: unknown) => `image ${i}: ${e instanceof Error ? e.message : String(e)}`,
        );
        if (why === null) {
          doneAt[run.stored++] = performance.now() - started;
          run.bytes += body.length;
          onStored(run.stored);
        } else {
          run.failed++;
          if (run.firstFailures.length < 3) run.firstFailures.push(why);
        }
      }
    }),
  );
  run.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  run.doneAt = doneAt.subarray(0, run.stored);
  return run;
}

function uploadOne(
  agent: http.Agent,
  target: URL,
  key: string,
  body: Buffer,
  subject: string,
): Promise<{ status: number; text: string; width?: number; height?: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      {
        method: "POST",
        agent,
        headers: { authorization: `Bearer ${key}`, "content-type": "image/jpeg", "content-length": body.length, "x-subject": subject },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: { width?: number; height?: number } = {};
          try {
            json = JSON.parse(text) as typeof json;
          } catch {
            // reported as the text
          }
          resolve({ status: res.statusCode ?? 0, text, width: json.width, height: json.height });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Every image of the shoot read back `pageSize` at a time; ms per page, in order, and images read. */
export async function readAllPages(url: string, token: string, shootId: string, pageSize: number): Promise<{ pageMs: number[]; images: number }> {
  const query = "query($s: ID!, $first: Int, $after: String) { shootImages(shootId: $s, first: $first, after: $after) { imageId width height subject } }";
  const pageMs: number[] = [];
  let after: string | null = null;
  let images = 0;
  for (;;) {
    const t0 = performance.now();
    const page: { shootImages: Array<{ imageId: string }> } = await graphql(url, token, query, { s: shootId, first: pageSize, after });
    pageMs.push(performance.now() - t0);
    images += page.shootImages.length;
    if (page.shootImages.length < pageSize) return { pageMs, images };
    after = page.shootImages[page.shootImages.length - 1].imageId;
  }
}
