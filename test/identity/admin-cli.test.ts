/**
 * `admin:create` as operators run it on an empty production database: the compiled command in a
 * child process (on a SQLite file, or a MariaDB database when DATABASE_URL says so), then a login
 * over HTTP with the account it made.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createConnection } from "mysql2/promise";
import { loadConfig, type DatabaseConfig } from "../../src/config";
import { openDatabase } from "../../src/entities";
import { createServer, type RunningServer } from "../../src/server";
import { usingMysql } from "../support/database";
import { CENTER_NODE_ENV } from "../support/env";
import { until } from "../support/until";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "dist/src/identity/admin-cli.js");
const JWT_SECRET = "admin-cli-test-secret-".padEnd(48, "x");
const GOOD = "correct horse battery staple";
const RULE =
  "A password must be at least 12 characters, not the login, not one character repeated, not a run of keys or digits, and not a commonly used password";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;
let db: { url: string; config: DatabaseConfig; exists(): Promise<boolean>; drop(): Promise<void> };

/** A database that does not exist yet: a file in a folder not made yet, or a MariaDB name unused. */
async function missingDatabase(suffix: string): Promise<typeof db> {
  if (!usingMysql()) {
    const file = path.join(dir, suffix, "center.sqlite");
    const url = `sqlite:${file}`;
    return { url, config: loadConfig({ DATABASE_URL: url, JWT_SECRET }).database, exists: async () => fs.existsSync(file), drop: async () => undefined };
  }
  const base = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, JWT_SECRET }).database;
  if (base.type !== "mysql") throw new Error("unreachable");
  const name = `${base.database}_adm${process.env.JEST_WORKER_ID ?? "0"}_${process.pid}_${suffix}`.slice(0, 64);
  const u = new URL(base.url);
  u.pathname = "/" + name;
  const server = () => createConnection({ host: base.host, port: base.port, user: base.user, password: base.password });
  const c = await server();
  await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await c.end();
  return {
    url: u.toString(),
    config: { ...base, database: name, url: u.toString() },
    exists: async () => {
      const c2 = await server();
      const [rows] = await c2.query("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?", [name]);
      await c2.end();
      return (rows as unknown[]).length > 0;
    },
    drop: async () => {
      const c2 = await server();
      await c2.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c2.end();
    },
  };
}

function admin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", DATABASE_URL: db.url, DATA_DIR: dir, JWT_SECRET, NODE_ENV: CENTER_NODE_ENV, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

async function users(): Promise<Array<{ login: string; name: string; role: string; disabled: boolean | number }>> {
  const ds = await openDatabase(db.config, { poolSize: 1, migrate: false });
  try {
    return (await ds.query("SELECT login, name, role, disabled FROM users ORDER BY login")) as never;
  } finally {
    await ds.destroy();
  }
}

async function withCenter<T>(work: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig({ NODE_ENV: CENTER_NODE_ENV, DATABASE_URL: db.url, PORT: "0", JWT_SECRET, DATA_DIR: dir, LOG_LEVEL: "silent" });
  const server: RunningServer = await createServer(config);
  try {
    return await work(server.url);
  } finally {
    await server.stop();
  }
}

async function login(
  url: string,
  l: string,
  p: string,
): Promise<{ token: string | null; errors: Array<{ code: string }>; user: { login: string; name: string; role: string } | null }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token user { login name role } errors { code } } }",
      variables: { l, p },
    }),
  });
  return ((await res.json()) as { data: { login: never } }).data.login;
}

beforeAll(() => {
  expect(fs.existsSync(CLI)).toBe(true);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-admin-"));
});
afterEach(async () => {
  await db?.drop();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe(`admin create (${usingMysql() ? "MariaDB" : "SQLite"})`, () => {
  it("creates the missing database and its schema, then a center admin who logs in over HTTP; a login taken is refused and changes nothing", async () => {
    db = await missingDatabase("first");
    expect(await db.exists()).toBe(false);
    const run = await admin(["create", "--login", "chief", "--name", "Chief Admin"], { ADMIN_PASSWORD: GOOD });
    expect(run).toMatchObject({ code: 0, stdout: "admin: created the center admin chief (Chief Admin); log in with the login and password given\n" });
    expect(run.stdout + run.stderr).not.toContain(GOOD);
    expect(await db.exists()).toBe(true);
    expect(await users()).toEqual([expect.objectContaining({ login: "chief", name: "Chief Admin", role: "CENTER_ADMIN" })]);

    const again = await admin(["create", "--login", "chief", "--name", "Someone Else"], { ADMIN_PASSWORD: "another long passphrase" });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("admin: refused: --login: LOGIN_TAKEN: the login chief is taken; choose another\n");
    expect(again.stdout).toBe("");
    expect(await users()).toEqual([expect.objectContaining({ login: "chief", name: "Chief Admin", role: "CENTER_ADMIN" })]);

    await withCenter(async (url) => {
      const ok = await login(url, "chief", GOOD);
      expect(ok.errors).toEqual([]);
      expect(ok.user).toEqual({ login: "chief", name: "Chief Admin", role: "CENTER_ADMIN" });
      const me = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ok.token}` },
        body: JSON.stringify({ query: "{ me { login role } users { login } }" }),
      });
      expect(((await me.json()) as { data: unknown }).data).toEqual({ me: { login: "chief", role: "CENTER_ADMIN" }, users: [{ login: "chief" }] });
      expect((await login(url, "chief", "another long passphrase")).errors).toEqual([{ code: "INVALID_CREDENTIALS" }]);
    });
  });

  it.each([
    ["Short-pw-1!", "it is shorter than 12 characters"],
    ["Password2024!", "it is a commonly used password"],
    ["admin-pass-2026", "it is a commonly used password"],
    ["my-chief-password", "it contains the login"],
    ["123456789012", "it is a run of keys or digits"],
    ["qwertyuiopas", "it is a run of keys or digits"],
    ["abababababababab", "it repeats one or two characters"],
  ])("refuses the weak password %j before touching the database, saying the rule", async (password, reason) => {
    db = await missingDatabase("weak");
    const run = await admin(["create", "--login", "chief", "--name", "Chief Admin"], { ADMIN_PASSWORD: password });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`admin: refused: password: WEAK_PASSWORD: the password is too weak: ${reason}. ${RULE}\n`);
    expect(run.stdout).toBe("");
    expect(await db.exists()).toBe(false);
  });

  it("explains bad usage with exit 2: a missing option, an unknown one, no password and no terminal", async () => {
    db = await missingDatabase("usage");
    const noName = await admin(["create", "--login", "chief"], { ADMIN_PASSWORD: GOOD });
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("admin: --name is required\nusage:");
    const unknown = await admin(["create", "--login", "chief", "--name", "C", "--role", "x"], { ADMIN_PASSWORD: GOOD });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--role'");
    const noCommand = await admin([]);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toContain("admin: no command given");
    const noPassword = await admin(["create", "--login", "chief", "--name", "Chief Admin"]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain("admin: no password: set ADMIN_PASSWORD, or run the command in a terminal to be asked for it");
    expect(await db.exists()).toBe(false);
  });

  const hasScript = spawnSync("script", ["--version"]).status === 0;
  (hasScript ? it : it.skip)("asks for the password twice in a terminal, without echoing it", async () => {
    db = await missingDatabase("tty");
    const env = { PATH: process.env.PATH ?? "", DATABASE_URL: db.url, DATA_DIR: dir, JWT_SECRET, NODE_ENV: CENTER_NODE_ENV };
    // `script` gives the command a terminal of its own; what is written to its stdin is typed there.
    const command = [process.execPath, CLI, "create", "--login", "chief", "--name", "Chief"].map((a) => `'${a}'`).join(" ");
    const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    const waitFor = (text: string) => until(`"${text}"`, () => out.includes(text), { timeoutMs: 30_000, detail: () => out });
    await waitFor("password: ");
    child.stdin.write(GOOD + "\r");
    await waitFor("password again: ");
    child.stdin.write(GOOD + "\r");
    expect(await exited).toBe(0);
    expect(out).toContain("admin: created the center admin chief (Chief)");
    expect(out).not.toContain(GOOD);
    await withCenter(async (url) => expect((await login(url, "chief", GOOD)).user).toEqual({ login: "chief", name: "Chief", role: "CENTER_ADMIN" }));
  });

  (usingMysql() ? it : it.skip)("says how to create the database when the account may not", async () => {
    db = await missingDatabase("denied");
    const user = `pm_nodb_${process.pid}`;
    const root = await createConnection({
      host: (db.config as { host: string }).host,
      port: (db.config as { port: number }).port,
      user: (db.config as { user: string }).user,
      password: (db.config as { password: string }).password,
    });
    await root.query(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`);
    await root.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-${user}'`);
    await root.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'pw-${user}'`);
    try {
      const u = new URL(db.url);
      u.username = user;
      u.password = `pw-${user}`;
      const run = await admin(["create", "--login", "chief", "--name", "Chief"], { ADMIN_PASSWORD: GOOD, DATABASE_URL: u.toString() });
      const name = (db.config as { database: string }).database;
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `admin: the database ${name} does not exist and ${user} may not create it. As a database administrator, run:\n` +
          `  CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n` +
          `  GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${user}'@'%';\n`,
      );
      expect(await db.exists()).toBe(false);
    } finally {
      await root.query(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`);
      await root.end();
    }
  });
});
