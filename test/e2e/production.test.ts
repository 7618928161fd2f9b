/**
 * The center started in production as operators start it: `node dist/src/main.js` on a fresh
 * database, and `npm start` / `npm run lab` stopped by a SIGTERM to npm alone, the way a container
 * runtime or a supervisor stops its first process.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createTestDatabase, usingMysql } from "../support/database";
import { freePort, run as runProcess, type Proc } from "../support/processes";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");
const DEMO = JSON.parse(fs.readFileSync(path.join(ROOT, "fixtures/demo-catalog.json"), "utf8")) as {
  users: Array<{ login: string; password: string }>;
  labs: Array<{ apiKey: string }>;
};
const DEMO_SECRETS = [...DEMO.users.map((u) => u.password), ...DEMO.labs.map((l) => l.apiKey)];

/** A child in a process group of its own (as a container's first process), its output gathered. */
function run(command: string, args: string[], env: Record<string, string>): Proc {
  return runProcess(command, args, { cwd: ROOT, env, detached: true, waitForTimeoutMs: 90_000 });
}

/** Whether any process of the group is left (signal 0 only asks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The environment of a child: this one's PATH and HOME (npm needs them), nothing of the suite's. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), ...extra };
}

async function gql(url: string, query: string, bearer?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query }) });
  return { status: res.status, body: await res.json() };
}

const LOGIN_ADMIN = 'mutation { login(login: "admin", password: "admin-pass") { token errors { code } } }';

describe("a production center on a fresh database", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-prod-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("on SQLite loads no demo data: the demo logins and lab keys open nothing, and no password is printed", async () => {
    const p = run(
      process.execPath,
      [MAIN],
      baseEnv({ NODE_ENV: "production", DATABASE_URL: `sqlite:${dir}/db.sqlite`, DATA_DIR: dir, PORT: "0", LOG_LEVEL: "info" }),
    );
    try {
      const [, url] = await p.waitFor(/ready at (http:\/\/\S+)\/graphql/);
      const login = await gql(url, LOGIN_ADMIN);
      expect(login.body.data.login).toEqual({ token: null, errors: [{ code: "INVALID_CREDENTIALS" }] });
      const lab = await gql(url, "{ __typename }", DEMO.labs[0].apiKey);
      expect(lab.status).toBe(401);
      expect(lab.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
      // Nothing was loaded: the database is as empty as it was.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped on purpose: one read-only count
      const Database = require("better-sqlite3");
      const db = new Database(`${dir}/db.sqlite`, { readonly: true });
      expect(db.prepare("SELECT COUNT(*) AS n FROM users").get().n).toBe(0);
      expect(db.prepare("SELECT COUNT(*) AS n FROM labs").get().n).toBe(0);
      db.close();
      expect(p.output()).not.toMatch(/demo/i);
      for (const s of DEMO_SECRETS) expect(p.output()).not.toContain(s);
    } finally {
      p.child.kill("SIGTERM");
      expect(await p.exited).toEqual({ code: 0, signal: null });
    }
  }, 120_000);

  it(`with DEMO_DATA=1 loads the demo catalog (${usingMysql() ? "MariaDB" : "SQLite"}) and still prints no password`, async () => {
    const db = usingMysql() ? await createTestDatabase() : null;
    const p = run(
      process.execPath,
      [MAIN],
      baseEnv({ NODE_ENV: "production", DEMO_DATA: "1", DATABASE_URL: db?.url ?? `sqlite:${dir}/db.sqlite`, DATA_DIR: dir, PORT: "0", LOG_LEVEL: "info" }),
    );
    try {
      const [, url] = await p.waitFor(/ready at (http:\/\/\S+)\/graphql/);
      const login = await gql(url, LOGIN_ADMIN);
      expect(login.body.data.login.errors).toEqual([]);
      expect(typeof login.body.data.login.token).toBe("string");
      expect(p.output()).toContain("demo data: fixtures/demo-catalog.json (DEMO_DATA=1); its logins are in that file");
      expect(p.output()).toContain("DEMO_DATA=1 in production");
      for (const s of DEMO_SECRETS) expect(p.output()).not.toContain(s);
    } finally {
      p.child.kill("SIGTERM");
      expect(await p.exited).toEqual({ code: 0, signal: null });
      await db?.drop();
    }
  }, 120_000);
});

describe("npm scripts stop on a SIGTERM sent to npm alone", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-npm-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** SIGTERM to npm's pid only; then every process of the group must be gone, npm's exit code 0. */
  async function stopsCleanly(p: Proc): Promise<void> {
    const pgid = p.child.pid!;
    const asked = Date.now();
    process.kill(pgid, "SIGTERM");
    await until("every process of the group to exit", () => p.child.exitCode !== null || p.child.signalCode !== null, { timeoutMs: 20_000, intervalMs: 50 });
    await until("every process of the group to exit", () => !groupAlive(pgid), { timeoutMs: 20_000, intervalMs: 50 });
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - asked).toBeLessThan(20_000);
  }

  it("npm start: the center drains, exits 0, and leaves no process behind", async () => {
    const p = run("npm", ["start"], baseEnv({ NODE_ENV: "production", DATABASE_URL: `sqlite:${dir}/db.sqlite`, DATA_DIR: dir, PORT: "0", LOG_LEVEL: "info" }));
    await p.waitFor(/ready at http:\/\/\S+\/graphql/);
    await stopsCleanly(p);
    expect(p.output()).toContain('"msg":"stopped"');
  }, 180_000);

  it("npm run lab: the daemon stops, exits 0, and leaves no process behind", async () => {
    const port = await freePort();
    const p = run(
      "npm",
      ["run", "lab", "--", "--url", `http://127.0.0.1:${port}`, "--out", path.join(dir, "out")],
      baseEnv({ PRINTMESH_LAB_KEY: "lab01-key-0123456789abcdef" }),
    );
    await p.waitFor(/center unreachable at http:\/\/127\.0\.0\.1:\d+, retrying/);
    await stopsCleanly(p);
  }, 180_000);
});
