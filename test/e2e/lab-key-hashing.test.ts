/**
 * Lab keys are high-entropy secrets: issued with an id prefix that finds their row, stored as an
 * HMAC-SHA-256 under the server's key secret, so checking one costs a lookup and a keyed hash, never
 * argon2. Keys stored with argon2 (issued before, or given in clear in a bundle) keep working and
 * are turned into the keyed hash on first use. Bad keys from one address are limited. What each
 * check cost is read from the center's metrics (printmesh_credential_checks_total); a process that
 * has not seen a key yet is another center started on the same database.
 */
import * as http from "node:http";
import { randomBytes } from "node:crypto";
import { createServer, type RunningServer } from "../../src/server";
import { openDatabase } from "../../src/entities";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";
import { startCenter, type TestCenter } from "../support/center";
import { credentialChecks } from "../support/metrics";

jest.setTimeout(120_000);

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB02_KEY = "lab02-key-0123456789abcdef";
const LAB04_KEY = "lab04-key-0123456789abcdef";
const LABS = "{ labs { id } }";

/** `{ labs { id } }` sent with `key` from the loopback address `from`: the status and the lab ids. */
function labsFrom(url: string, from: string, key: string): Promise<{ status: number; labs: string[] | null; code: string | null }> {
  const body = JSON.stringify({ query: LABS });
  const u = new URL(url + "/graphql");
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${key}` },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          const r = JSON.parse(text) as { data?: { labs: Array<{ id: string }> }; errors?: Array<{ extensions: { code: string } }> };
          resolve({ status: res.statusCode ?? 0, labs: r.data?.labs.map((l) => l.id) ?? null, code: r.errors?.[0]?.extensions.code ?? null });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

let c: TestCenter;
beforeAll(async () => {
  c = await startCenter({ env: { BAD_KEY_RATE_LIMIT: "20" } });
});
afterAll(async () => {
  await c?.stop();
});
const checks = () => credentialChecks(c.server);
/** Runs `work` against another center on the same database: a process that has not seen any key yet. */
async function withAnotherCenter<T>(work: (other: RunningServer) => Promise<T>): Promise<T> {
  const ds = await openDatabase(c.config.database, { poolSize: 2 });
  let other: RunningServer | null = null;
  try {
    other = await createServer({ ...c.config, port: 0 }, { ds });
    return await work(other);
  } finally {
    await other?.stop();
    await ds.destroy();
  }
}
const stored = (labId: string) => c.ds.getRepository(LabApiKeyEntity).findOneByOrFail({ labId });

describe("lab keys", () => {
  it("issues keys with an id prefix, stored as a keyed hash and checked without argon2", async () => {
    const token = await c.login("center", "center-pass-1");
    const r = await c.gql(`mutation { createLabApiKey(labId: "LAB02", label: "new") { key apiKey { id } errors { code } } }`, {}, token);
    const { key, apiKey } = r.data!.createLabApiKey;
    const m = /^pmk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/.exec(key);
    expect(m).not.toBeNull();
    const row = await c.ds.getRepository(LabApiKeyEntity).findOneByOrFail({ id: apiKey.id });
    expect(row.lookup).toBe(m![1]);
    expect(row.hash).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(key.slice(22));

    const before = await checks();
    expect(await labsFrom(c.url, "127.0.0.1", key)).toEqual({ status: 200, labs: ["LAB02"], code: null });
    expect((await checks()).labKeyArgon2 - before.labKeyArgon2).toBe(0);
    expect((await checks()).labKeyLookups - before.labKeyLookups).toBe(1);
    // The right prefix with a wrong secret: refused, still without argon2.
    const forged = key.slice(0, 22) + randomBytes(32).toString("base64url");
    expect(await labsFrom(c.url, "127.0.0.1", forged)).toEqual({ status: 401, labs: null, code: "UNAUTHENTICATED" });
    expect((await checks()).labKeyArgon2 - before.labKeyArgon2).toBe(0);
  });

  it("keeps a key stored with argon2 working and stores it as a keyed hash at its first use", async () => {
    expect((await stored("LAB04")).hash).toMatch(/^\$argon2id\$/);
    const before = await checks();
    expect(await labsFrom(c.url, "127.0.0.1", LAB04_KEY)).toEqual({ status: 200, labs: ["LAB04"], code: null });
    expect((await checks()).labKeyArgon2 - before.labKeyArgon2).toBe(1);
    expect((await stored("LAB04")).hash).toMatch(/^hmac-sha256\$[0-9a-f]{64}$/);

    // Another center on the same database (nothing known yet) checks it without argon2.
    await withAnotherCenter(async (other) => {
      expect(await labsFrom(other.url, "127.0.0.1", LAB04_KEY)).toEqual({ status: 200, labs: ["LAB04"], code: null });
      expect(await credentialChecks(other)).toEqual({ passwords: 0, labKeyArgon2: 0, labKeyLookups: 1 });
    });
  });

  it("runs no argon2 for a flood of bogus keys, looks up no more than the limit from one address, and serves a real lab meanwhile", async () => {
    const before = await checks();
    const bogus = Array.from({ length: 100 }, (_, i) =>
      i % 2 ? `pmk_${randomBytes(8).toString("hex")}_${randomBytes(32).toString("base64url")}` : randomBytes(30).toString("base64url"),
    );
    // One after another: a bad key is counted once found bad (keys sent together are all looked up).
    const flood = async () => {
      const answers = [];
      for (const k of bogus) answers.push(await labsFrom(c.url, "127.0.0.2", k));
      return answers;
    };
    const [answers, lab] = await Promise.all([flood(), labsFrom(c.url, "127.0.0.1", LAB01_KEY)]);
    expect(new Set(answers.map((a) => `${a.status} ${a.code}`))).toEqual(new Set(["401 UNAUTHENTICATED"]));
    expect(lab).toEqual({ status: 200, labs: ["LAB01"], code: null });
    const after = await checks();
    // LAB01's key was stored with argon2 (a bundle's clear key): its one check, at its first use.
    expect(after.labKeyArgon2 - before.labKeyArgon2).toBe(1);
    expect(after.labKeyLookups - before.labKeyLookups).toBe(20 + 1);

    // That address is refused unchecked for now, even with a good key not yet known to this center;
    // another address is not.
    expect(await labsFrom(c.url, "127.0.0.2", LAB02_KEY)).toEqual({ status: 401, labs: null, code: "UNAUTHENTICATED" });
    expect((await checks()).labKeyLookups).toBe(after.labKeyLookups);
    expect(await labsFrom(c.url, "127.0.0.3", LAB02_KEY)).toEqual({ status: 200, labs: ["LAB02"], code: null });
  });

  it("accepts many good keys arriving together from one address (labs reconnecting through one proxy)", async () => {
    // A restarted center: it knows none of the keys yet, so each of them is looked up.
    await withAnotherCenter(async (other) => {
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => labsFrom(other.url, "127.0.0.5", i % 2 ? LAB01_KEY : LAB02_KEY)));
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(new Set(answers.map((a) => a.labs![0]))).toEqual(new Set(["LAB01", "LAB02"]));
    });
  });

  it("does not count good keys against their address", async () => {
    // Keys new to this center, issued through the API: each one's first use is a lookup, more of
    // them from one address than the bad-key limit (20) allows bad ones.
    const token = await c.login("center", "center-pass-1");
    const keys: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await c.gql(
        `mutation($lab: ID!) { createLabApiKey(labId: $lab, label: "proxy") { key errors { code } } }`,
        { lab: i % 2 ? "LAB01" : "LAB02" },
        token,
      );
      expect(r.data!.createLabApiKey.errors).toEqual([]);
      keys.push(r.data!.createLabApiKey.key);
    }
    const before = await checks();
    for (const key of keys) expect((await labsFrom(c.url, "127.0.0.4", key)).status).toBe(200);
    expect((await checks()).labKeyLookups - before.labKeyLookups).toBe(25);
  });
});
