/**
 * A DATABASE_URL naming several hosts, on a real MariaDB: the center connects to the first host
 * that answers and, when a host goes away, carries on through the next. A TCP proxy stands for
 * the first host (closing it is a node dying); the second host is MariaDB itself.
 *
 * Runs when DATABASE_URL names MariaDB/MySQL (CI's MariaDB pass); SQLite runs skip it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createConnection, type Connection } from "mysql2/promise";
import type { DataSource } from "typeorm";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { loadConfig, type DatabaseConfig } from "../../src/config";
import { CommitOutcomeUnknownError, retryCounts } from "../../src/db/driver-errors";
import { closeBatches, runBatch } from "../../src/db/statement-batch";
import { withTransaction } from "../../src/db/transaction";
import { openDatabase } from "../../src/entities";
import { createServer, type RunningServer } from "../../src/server";
import { FIXTURE_PEOPLE, PATENT_FIXTURE } from "../support/center";
import { createTestDatabase, usingMysql, type TestDatabase } from "../support/database";
import { closedPort, startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { until } from "../support/until";

const PLACE = "mutation($input: OrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { order { id } errors { code message } } }";
/** An order of the patent fixture's shop SP01: two sub-orders, three items. */
const ORDER = {
  shopId: "SP01",
  subOrders: [
    { serviceId: "SV01", sheets: 5, items: [{ imageId: "IMG-C01" }, { imageId: "IMG-C01" }] },
    { serviceId: "SV02", sheets: 10, items: [{ imageId: "IMG-C01" }] },
  ],
};

/** A DATABASE_URL for `test`'s database on `hosts` (`host:port` each), with its account. */
function urlOn(test: TestDatabase, hosts: string[]): string {
  const db = test.db as Extract<DatabaseConfig, { type: "mysql" }>;
  const auth = encodeURIComponent(db.user) + (db.password ? ":" + encodeURIComponent(db.password) : "");
  return `mysql://${auth}@${hosts.join(",")}/${db.database}`;
}

function databaseOf(url: string): DatabaseConfig {
  return loadConfig({ DATABASE_URL: url, JWT_SECRET: "x".repeat(32), DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-failover-")) }).database;
}

(usingMysql() ? describe : describe.skip)("a DATABASE_URL naming several hosts (MariaDB)", () => {
  let server: { host: string; port: number };
  let direct: string;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(() => {
    const base = databaseOf(process.env.DATABASE_URL!) as Extract<DatabaseConfig, { type: "mysql" }>;
    server = { host: base.host, port: base.port };
    direct = `${base.host}:${base.port}`;
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function scratch(): Promise<{ test: TestDatabase; admin: Connection }> {
    const test = await createTestDatabase();
    const db = test.db as Extract<DatabaseConfig, { type: "mysql" }>;
    const admin = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
    cleanup.push(
      () => test.drop(),
      () => admin.end(),
    );
    return { test, admin };
  }

  async function proxy(): Promise<TcpProxy> {
    const p = await startTcpProxy(server);
    cleanup.push(() => p.close());
    return p;
  }

  async function open(url: string, migrate = true): Promise<DataSource> {
    const ds = await openDatabase(databaseOf(url), { poolSize: 4, migrate });
    cleanup.push(async () => {
      await closeBatches(ds);
      await ds.destroy();
    });
    return ds;
  }

  async function center(url: string, ds: DataSource): Promise<{ server: RunningServer; gql: (q: string, v: object, bearer?: string) => Promise<any> }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-failover-data-"));
    const config = loadConfig({
      NODE_ENV: "production",
      DATABASE_URL: url,
      PORT: "0",
      JWT_SECRET: "failover-test-secret-".padEnd(48, "x"),
      DATA_DIR: dataDir,
      LOG_LEVEL: "silent",
    });
    const s = await createServer(config, { ds });
    cleanup.push(
      () => s.stop(),
      async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    );
    const gql = async (query: string, variables: object, bearer?: string) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const res = await fetch(`${s.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      return res.json();
    };
    return { server: s, gql };
  }

  async function login(gql: (q: string, v: object) => Promise<any>): Promise<string> {
    const [l, p] = FIXTURE_PEOPLE.customer;
    const r = await gql("mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token } }", { l, p });
    if (!r.data?.login?.token) throw new Error(JSON.stringify(r));
    return r.data.login.token as string;
  }

  /** Orders in the database with how many sub-orders and items each has. */
  async function ordersIn(admin: Connection): Promise<Map<string, string>> {
    const [rows] = await admin.query(
      "SELECT o.id, (SELECT COUNT(*) FROM sub_orders s WHERE s.order_id = o.id) AS subs, (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id) AS items FROM orders o",
    );
    return new Map((rows as Array<{ id: string; subs: number; items: number }>).map((r) => [r.id, `${r.subs}/${r.items}`]));
  }

  it("starts a center and commits a mutation when the first host does not answer", async () => {
    const { test, admin } = await scratch();
    const url = urlOn(test, [`127.0.0.1:${await closedPort()}`, direct]);
    expect(databaseOf(url)).toMatchObject({ hosts: [{ host: "127.0.0.1" }, { host: server.host, port: server.port }] });
    const ds = await open(url);
    const report = await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    expect(report.ok).toBe(true);
    const c = await center(url, ds);
    const token = await login(c.gql);
    const placed = await c.gql(PLACE, { input: ORDER }, token);
    expect(placed.data.placeOrder.errors).toEqual([]);
    // Committed, with every part: read back on a connection of its own.
    expect(await ordersIn(admin)).toEqual(new Map([[placed.data.placeOrder.order.id, "2/3"]]));
  });

  it("carries on through the next host when the first goes away mid-run, leaving no order half-written", async () => {
    const { test, admin } = await scratch();
    const first = await proxy();
    const url = urlOn(test, [`127.0.0.1:${first.port}`, direct]);
    const ds = await open(url);
    expect(await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {})).toMatchObject({ ok: true });
    const c = await center(url, ds);
    const token = await login(c.gql);
    const before = first.accepted;
    expect(before).toBeGreaterThan(0); // so far, everything went through the first host
    const placed: string[] = [];
    const failed: unknown[] = [];
    let n = 0;
    // With an idempotency key, as a careful client places orders: an order whose COMMIT's answer was
    // lost runs again, fails on its own keys and answers the order it placed (order-placing.service.ts).
    const place = async () => {
      const r = await c.gql(PLACE, { input: ORDER, key: `failover-${++n}` }, token);
      if (r.data?.placeOrder?.order) placed.push(r.data.placeOrder.order.id);
      else failed.push(r);
    };
    // Orders in flight while the first host dies: some on its connections, some after.
    const wave = Array.from({ length: 8 }, () => place());
    await until("an order placed through the first host", () => placed.length >= 1);
    await first.close();
    await Promise.all(wave);
    // From now on every order goes through the second host.
    for (let i = 0; i < 4; i++) await place();
    expect(placed.length).toBeGreaterThanOrEqual(5);
    // A request whose connection was cut while it read may fail as a whole; none writes half an order.
    for (const f of failed) expect(JSON.stringify(f)).toMatch(/INTERNAL_SERVER_ERROR/);
    const stored = await ordersIn(admin);
    expect([...stored.values()].every((parts) => parts === "2/3")).toBe(true);
    expect([...stored.keys()].sort()).toEqual([...placed].sort());
    expect(first.open()).toBe(0);
    // The retries are counted by cause in what /metrics serves (the process's counts).
    const metrics = await c.server.metrics.registry.metrics();
    for (const [cause, n] of Object.entries(retryCounts)) expect(metrics).toContain(`printmesh_db_retries_total{cause="${cause}"} ${n}\n`);
    if (failed.length > 0) process.stderr.write(`requests failed at the cut: ${JSON.stringify(failed)}\n`);
  });

  describe("a unit whose connection is lost", () => {
    async function probe(): Promise<{ ds: DataSource; first: TcpProxy; admin: Connection; test: TestDatabase }> {
      const { test, admin } = await scratch();
      await admin.query("CREATE TABLE failover_probe (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)");
      const first = await proxy();
      const ds = await open(urlOn(test, [`127.0.0.1:${first.port}`, direct]), false);
      return { ds, first, admin, test };
    }
    const rows = async (admin: Connection) => (await admin.query("SELECT id, v FROM failover_probe ORDER BY id"))[0];

    it("before COMMIT runs again as a whole on the next host", async () => {
      const { ds, first, admin } = await probe();
      const lost = retryCounts.connection_lost;
      let runs = 0;
      await withTransaction(ds, async (em) => {
        runs++;
        await em.query("INSERT INTO failover_probe (id, v) VALUES (1, 'a')");
        if (runs === 1) await first.close(); // the first host dies with the transaction open
        await em.query("UPDATE failover_probe SET v = 'b' WHERE id = 1");
      });
      expect(runs).toBe(2);
      expect(retryCounts.connection_lost - lost).toBe(1);
      expect(await rows(admin)).toEqual([{ id: 1, v: "b" }]);
    });

    it("during COMMIT is not run again unless the unit is safe to repeat", async () => {
      const { ds, first, admin } = await probe();
      // The COMMIT never reaches the server: the client cannot know that.
      first.dropWhen = (chunk) => chunk.includes("COMMIT");
      let runs = 0;
      const unit = withTransaction(ds, async (em) => {
        runs++;
        await em.query("INSERT INTO failover_probe (id, v) VALUES (1, 'a')");
      });
      await expect(unit).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
      expect(runs).toBe(1);
      expect(first.dropped).toBe(1);
      expect(await rows(admin)).toEqual([]);

      // Repeatable: run again, on the next host (the first is set aside), once.
      await withTransaction(
        ds,
        async (em) => {
          runs++;
          await em.query("INSERT INTO failover_probe (id, v) VALUES (2, 'b')");
        },
        { repeatable: true },
      );
      expect(await rows(admin)).toEqual([{ id: 2, v: "b" }]);
      expect(first.dropped).toBe(1);
    });

    it("in a one-round-trip batch is reported perhaps committed, or run again when repeatable", async () => {
      const { ds, first, admin, test } = await probe();
      first.dropWhen = (chunk) => chunk.includes("COMMIT");
      const batch = [{ sql: "INSERT INTO failover_probe (id, v) VALUES (?, ?)", params: [1, "a"] }];
      await expect(runBatch(ds, batch)).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
      expect(await rows(admin)).toEqual([]);
      const lost = retryCounts.connection_lost;
      // A fresh first host that drops the next batch too: the repeatable batch goes on through the second.
      const again = await proxy();
      const ds2 = await open(urlOn(test, [`127.0.0.1:${again.port}`, direct]), false);
      again.dropWhen = (chunk) => chunk.includes("COMMIT");
      expect(await runBatch(ds2, batch, { repeatable: true })).toEqual([{ affected: 1, rows: [] }]);
      expect(again.dropped).toBe(1);
      expect(retryCounts.connection_lost - lost).toBe(1);
      expect(await rows(admin)).toEqual([{ id: 1, v: "a" }]);
    });
  });
});
