/**
 * On a Galera node, every connection of the center sets `wsrep_sync_wait` (causal reads): one
 * local node is started for the test (its own port and temporary data folder, as the mysql user,
 * bootstrapping a cluster of one), and the variable is read through both of the center's pools.
 *
 * Skipped only where Galera is not installed (no provider library) or the test cannot run the
 * node as the mysql user (not root).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createConnection } from "mysql2/promise";
import type { DataSource } from "typeorm";
import { loadConfig } from "../../src/config";
import { closeBatches, runBatch } from "../../src/db/statement-batch";
import { openDatabase } from "../../src/entities";
import { closedPort } from "../support/tcp-proxy";
import { until } from "../support/until";

const PROVIDER = "/usr/lib/galera/libgalera_smm.so";
const AVAILABLE = fs.existsSync(PROVIDER) && process.getuid?.() === 0 && fs.existsSync("/usr/bin/mariadb-install-db");

(AVAILABLE ? describe : describe.skip)("a Galera node (one local node)", () => {
  let dir: string;
  let node: ChildProcess;
  let port: number;
  let log = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-galera-"));
    fs.chmodSync(dir, 0o755);
    const data = path.join(dir, "data");
    fs.mkdirSync(data);
    execFileSync("chown", ["mysql:mysql", data]);
    execFileSync(
      "runuser",
      ["-u", "mysql", "--", "mariadb-install-db", "--no-defaults", `--datadir=${data}`, "--auth-root-authentication-method=normal", "--skip-test-db"],
      {
        stdio: "ignore",
        cwd: "/",
      },
    );
    port = await closedPort();
    const cnf = path.join(dir, "my.cnf");
    fs.writeFileSync(
      cnf,
      [
        "[mariadbd]",
        `datadir=${data}`,
        `port=${port}`,
        "bind-address=127.0.0.1",
        `socket=${data}/mysqld.sock`,
        `pid-file=${data}/mysqld.pid`,
        "skip-log-bin",
        "binlog_format=ROW",
        "innodb_autoinc_lock_mode=2",
        "wsrep_on=ON",
        `wsrep_provider=${PROVIDER}`,
        "wsrep_cluster_address=gcomm://",
        `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${await closedPort()}"`,
        "wsrep_sst_method=rsync",
      ].join("\n") + "\n",
      { mode: 0o644 },
    );
    node = spawn("runuser", ["-u", "mysql", "--", "mariadbd", `--defaults-file=${cnf}`, "--wsrep-new-cluster"], {
      cwd: "/",
      stdio: ["ignore", "pipe", "pipe"],
    });
    node.stdout!.on("data", (d) => (log += String(d)));
    node.stderr!.on("data", (d) => (log += String(d)));
    await until(
      "the Galera node ready",
      async () => {
        try {
          const c = await createConnection({ host: "127.0.0.1", port, user: "root" });
          const [rows] = await c.query("SHOW STATUS LIKE 'wsrep_ready'");
          await c.query("CREATE DATABASE IF NOT EXISTS printmesh_galera");
          await c.end();
          return (rows as Array<{ Value: string }>)[0]?.Value === "ON";
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000, intervalMs: 200, detail: () => log },
    );
  }, 90_000);

  afterAll(async () => {
    if (node && node.exitCode === null) {
      const gone = new Promise((resolve) => node.once("exit", resolve));
      const c = await createConnection({ host: "127.0.0.1", port, user: "root" });
      await c.query("SHUTDOWN");
      await c.end();
      await gone;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function open(env: Record<string, string>): Promise<DataSource> {
    const db = loadConfig({ DATABASE_URL: `mysql://root@127.0.0.1:${port}/printmesh_galera`, JWT_SECRET: "x".repeat(32), DATA_DIR: dir, ...env }).database;
    return openDatabase(db, { poolSize: 2 });
  }

  /** `@@session.wsrep_sync_wait` as seen by a connection of the ORM's pool and one of the batches' pool. */
  async function syncWaits(ds: DataSource): Promise<number[]> {
    const orm = (await ds.query("SELECT @@session.wsrep_sync_wait AS w")) as Array<{ w: number }>;
    const inTx = await ds.transaction(async (em) => (await em.query("SELECT @@session.wsrep_sync_wait AS w")) as Array<{ w: number }>);
    const [batch] = await runBatch(ds, [{ sql: "SELECT @@session.wsrep_sync_wait AS w", params: [] }]);
    return [Number(orm[0].w), Number(inTx[0].w), Number(batch.rows[0].w)];
  }

  it("sets wsrep_sync_wait on every connection of both pools (1 by default, DATABASE_SYNC_WAIT otherwise)", async () => {
    const ds = await open({});
    try {
      // A plain connection to the node keeps the server's default: the center set its own.
      const plain = await createConnection({ host: "127.0.0.1", port, user: "root" });
      const [[row]] = (await plain.query("SELECT @@session.wsrep_sync_wait AS w, @@wsrep_on AS w_on")) as unknown as [[{ w: number; w_on: number }]];
      await plain.end();
      expect([Number(row.w), Number(row.w_on)]).toEqual([0, 1]);
      expect(await syncWaits(ds)).toEqual([1, 1, 1]);
    } finally {
      await closeBatches(ds);
      await ds.destroy();
    }
    const three = await open({ DATABASE_SYNC_WAIT: "3" });
    try {
      expect(await syncWaits(three)).toEqual([3, 3, 3]);
    } finally {
      await closeBatches(three);
      await three.destroy();
    }
  });
});
