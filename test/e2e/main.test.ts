/**
 * The center as `npm start` runs it: a real process on an empty embedded database loads the demo
 * catalog, prints its URL and logins, serves them, and stops cleanly on SIGTERM. A bad setting stops
 * it at once with a message naming the variable.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { createTestDatabase, usingMysql } from "../support/database";
import { startCenterProcess } from "../support/center-process";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");

describe("npm start", () => {
  it("loads the demo catalog into an empty database, prints the logins, serves them, stops on SIGTERM", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-main-"));
    // On the engine under test: a scratch MariaDB database when DATABASE_URL says so.
    const db = usingMysql() ? await createTestDatabase() : null;
    const { child, output, ready } = startCenterProcess({
      DATA_DIR: dir,
      DATABASE_URL: db?.url ?? `sqlite:${dir}/db.sqlite`,
      DEMO_DATA: "1",
      PORT: "0",
      LOG_LEVEL: "warn",
    });
    try {
      const url = await ready;
      expect(output()).toMatch(/CENTER_ADMIN\s+admin \/ admin-pass/);
      expect(output()).toMatch(/GENERAL_USER\s+\S+ \/ \S+/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const login = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: 'mutation { login(login: "admin", password: "admin-pass") { token user { role } } }' }),
      });
      const body = (await login.json()) as { data: { login: { token: string; user: { role: string } } } };
      expect(body.data.login.user.role).toBe("CENTER_ADMIN");
      const shops = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${body.data.login.token}` },
        body: JSON.stringify({ query: "{ shops { id } labs { id } }" }),
      });
      const data = ((await shops.json()) as { data: { shops: unknown[]; labs: unknown[] } }).data;
      expect(data.shops.length).toBeGreaterThanOrEqual(5);
      expect(data.labs.length).toBeGreaterThanOrEqual(5);
      // The secret was made and kept in the data directory.
      expect(fs.existsSync(path.join(dir, "jwt-secret"))).toBe(true);

      // A graceful stop drains and closes everything quickly (no waiting for the 15 s safety net).
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      const asked = Date.now();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(Date.now() - asked).toBeLessThan(5000);
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
      await db?.drop();
    }
  });

  it("stops at once on a bad setting, naming the variable", () => {
    let status = 0;
    let stderr = "";
    try {
      execFileSync(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", PORT: "eighty", DATA_DIR: os.tmpdir() }, stdio: "pipe" });
    } catch (e) {
      status = (e as { status: number }).status;
      stderr = String((e as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(1);
    expect(stderr).toContain("PORT must be a whole number");
  });
});
