/**
 * The gate that bounds concurrent image decodes: on its own, never more than its bound at once,
 * however many arrive together; the rest wait in its queue, and those beyond the queue are refused.
 * Then the center's gate, its one slot held here (no upload holds one on cue): an upload answers
 * 503 BUSY with Retry-After and stores nothing, and goes through once the slot is free.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { ImageEntity } from "../../src/images/image.entity";
import { DecodeGate } from "../../src/images/upload-limits";

describe("concurrent decodes", () => {
  it("never run more than the bound at once, however many arrive together (the rest wait in the queue)", async () => {
    const gate = new DecodeGate(2, 10);
    let running = 0;
    let most = 0;
    const work = async () => {
      const release = await gate.acquire();
      if (!release) return "refused";
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      release();
      return "ran";
    };
    const results = await Promise.all(Array.from({ length: 14 }, work));
    expect(most).toBe(2);
    expect(gate.peak).toBe(2);
    expect(results.filter((r) => r === "ran")).toHaveLength(12);
    expect(results.filter((r) => r === "refused")).toHaveLength(2);
    expect(gate.active).toBe(0);
  });
});

describe("the center's decode gate", () => {
  let c: TestCenter;
  let customer: string;
  beforeAll(async () => {
    c = await startCenter({ env: { IMAGE_DECODE_CONCURRENCY: "1", IMAGE_DECODE_QUEUE: "0" } });
    customer = await c.login("customer", "customer-pass");
  });
  afterAll(async () => {
    await c?.stop();
  });

  async function post(body: Buffer): Promise<{ status: number; json: any; retryAfter: string | null }> {
    const res = await fetch(`${c.url}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${customer}`, "content-type": "image/png" },
      body: new Uint8Array(body),
    });
    return { status: res.status, json: await res.json(), retryAfter: res.headers.get("retry-after") };
  }
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

  it("bounds uploads: with the one slot taken and no queue, an upload answers 503 BUSY with Retry-After and stores nothing; then it goes through", async () => {
    const gate = c.server.services.images.decodes;
    expect([gate.concurrency, gate.queue]).toEqual([1, 0]);
    const release = await gate.acquire();
    expect(release).not.toBeNull();
    const files = storedFiles();
    const before = await c.ds.getRepository(ImageEntity).count();
    const r = await post(makePng(8, 8, 300));
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("BUSY");
    expect(r.retryAfter).toBe("1");
    expect(await c.ds.getRepository(ImageEntity).count()).toBe(before);
    expect(storedFiles()).toBe(files);
    release!();
    expect(gate.active).toBe(0);
    expect((await post(makePng(8, 8, 300))).status).toBe(201);
  });
});
