/**
 * Two center processes (`node dist/src/main.js`) on one MariaDB database, each with its own data
 * directory whose `images` folder is one shared folder (as several machines mount one share): an
 * image uploaded through one center is served by the other.
 *
 * Runs when DATABASE_URL names MariaDB/MySQL; SQLite runs skip it.
 */
import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { openDatabase } from "../../src/entities";
import { FIXTURE_PEOPLE, PATENT_FIXTURE } from "../support/center";
import { createTestDatabase, usingMysql, type TestDatabase } from "../support/database";
import { startCenterProcess } from "../support/center-process";
import { makePng } from "../support/images";

const JWT_SECRET = "shared-images-test-secret-".padEnd(48, "x");

interface Center {
  url: string;
  child: ChildProcess;
}

async function startCenter(env: Record<string, string>): Promise<Center> {
  const { child, ready } = startCenterProcess(env);
  return { url: await ready, child };
}

async function stop(c: Center): Promise<void> {
  if (c.child.exitCode !== null) return;
  const gone = new Promise((resolve) => c.child.once("exit", resolve));
  c.child.kill("SIGTERM");
  await gone;
}

(usingMysql() ? describe : describe.skip)("two centers sharing one images folder", () => {
  let db: TestDatabase;
  let shared: string;
  const dirs: string[] = [];
  let a: Center;
  let b: Center;

  beforeAll(async () => {
    db = await createTestDatabase();
    const ds = await openDatabase(db.db);
    const report = await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    await ds.destroy();
    if (!report.ok) throw new Error(JSON.stringify(report.faults));
    shared = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-shared-images-"));
    const env = () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-center-"));
      dirs.push(dir);
      // Each center's own data directory; its images folder is the shared one.
      fs.symlinkSync(shared, path.join(dir, "images"));
      return { DATABASE_URL: db.url, PORT: "0", HOST: "127.0.0.1", NODE_ENV: "production", JWT_SECRET, DATA_DIR: dir, DEMO_DATA: "0", LOG_LEVEL: "warn" };
    };
    [a, b] = await Promise.all([startCenter(env()), startCenter(env())]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map(stop));
    await db?.drop();
    for (const dir of [...dirs, shared]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves through one center an image uploaded through the other", async () => {
    const [l, p] = FIXTURE_PEOPLE.customer;
    const login = await fetch(`${a.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token } }", variables: { l, p } }),
    });
    const token = ((await login.json()) as { data: { login: { token: string } } }).data.login.token;
    const png = makePng(400, 300, 7);
    const up = await fetch(`${a.url}/images`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "image/png" },
      body: new Uint8Array(png),
    });
    expect(up.status).toBe(201);
    const uploaded = (await up.json()) as { id: string; sha256: string };
    expect(uploaded.sha256).toBe(createHash("sha256").update(png).digest("hex"));

    // Through the other center: its metadata from the database, its bytes from the shared folder.
    const meta = await fetch(`${b.url}/images/${uploaded.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({ id: uploaded.id, sha256: uploaded.sha256, width: 400, height: 300 });
    const thumb = await fetch(`${b.url}/images/${uploaded.id}/thumbnail`, { headers: { authorization: `Bearer ${token}` } });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    expect((await thumb.arrayBuffer()).byteLength).toBeGreaterThan(100);
    // Nothing was written outside the shared folder, and no temp file is left in it.
    const files = fs.readdirSync(shared, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.some((f) => f.parentPath.includes(".tmp"))).toBe(false);
    expect(files.length).toBeGreaterThanOrEqual(1);
  });
});
