/**
 * A three-node MariaDB Galera cluster on 127.0.0.1 from Debian's packages (mariadb-server,
 * galera-4, rsync): each node its own data directory, SQL, group-communication, IST and SST ports;
 * the first bootstraps the cluster (--wsrep-new-cluster), the others join it by state transfer
 * (rsync). The nodes run as the `mysql` user: run as root, rsync's state transfer fails with
 * "Permission denied". root@127.0.0.1 connects over TCP without a password.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { createConnection, type Connection } from "mysql2/promise";
import { GaveUp, waitUntil, type Daemon, type Daemons } from "./daemons";

const run = promisify(execFile);
export const GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so";

export interface GaleraPorts {
  sql: number;
  gmcast: number;
  ist: number;
  sst: number;
}

export interface GaleraNode {
  index: number;
  ports: GaleraPorts;
  dir: string;
  daemon: Daemon | null;
  /** mysql://root@127.0.0.1:<sql>/<database> */
  url(database: string): string;
}

/** What a node says of itself and the cluster it sees. */
export interface NodeState {
  clusterSize: number;
  state: string;
  ready: boolean;
}

const MYSQL_USER = "mysql";

export class GaleraCluster {
  readonly nodes: GaleraNode[];
  private readonly uid: number | null;
  private readonly gid: number | null;

  constructor(
    private readonly daemons: Daemons,
    private readonly dir: string,
    ports: GaleraPorts[],
    ids: { uid: number; gid: number } | null,
  ) {
    this.uid = ids?.uid ?? null;
    this.gid = ids?.gid ?? null;
    this.nodes = ports.map((p, i) => ({
      index: i,
      ports: p,
      dir: path.join(dir, `galera${i + 1}`),
      daemon: null,
      url: (database: string) => `mysql://root@127.0.0.1:${p.sql}/${database}`,
    }));
  }

  /** Installs the three data directories, bootstraps the first node, joins the others; resolves once all three are Synced. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.install(n)));
    await this.launch(this.nodes[0], true);
    await this.grantRoot(this.nodes[0]);
    for (const n of this.nodes.slice(1)) await this.launch(n, false);
    await this.awaitSynced();
  }

  /** Stops a node: SIGKILL (`kill`) or a clean shutdown (`clean`). The others carry on as a cluster of two. */
  async stop(index: number, how: "kill" | "clean"): Promise<void> {
    const node = this.nodes[index];
    const d = node.daemon;
    if (!d) return;
    if (how === "kill") await d.kill();
    else await d.stop("SIGTERM", 60_000);
    node.daemon = null;
    const others = this.nodes.filter((n) => n !== node);
    await waitUntil(
      `the other nodes to see a cluster of ${others.length}`,
      async () => (await Promise.all(others.map((n) => this.state(n)))).every((s) => s.clusterSize === others.length && s.ready),
      60_000,
    );
  }

  /** Starts a stopped node again: it rejoins by state transfer (IST or SST); resolves once all are Synced. */
  async restart(index: number): Promise<void> {
    const node = this.nodes[index];
    if (node.daemon) throw new Error(`galera node ${index + 1} is running`);
    await this.launch(node, false);
    await this.awaitSynced();
  }

  async stopAll(): Promise<void> {
    // The joiners first, the bootstrap node last, each cleanly when it can be (quicker next time).
    for (const n of [...this.nodes].reverse()) {
      if (n.daemon) await n.daemon.stop("SIGTERM", 20_000);
      n.daemon = null;
    }
  }

  /** wsrep_cluster_size, wsrep_local_state_comment and wsrep_ready of one node. */
  async state(node: GaleraNode): Promise<NodeState> {
    const c = await this.connect(node);
    try {
      const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')");
      const v = Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
      return { clusterSize: Number(v.wsrep_cluster_size ?? 0), state: v.wsrep_local_state_comment ?? "", ready: v.wsrep_ready === "ON" };
    } finally {
      await c.end();
    }
  }

  connect(node: GaleraNode, database?: string): Promise<Connection> {
    return createConnection({ host: "127.0.0.1", port: node.ports.sql, user: "root", database, connectTimeout: 2000 });
  }

  async awaitSynced(timeoutMs = 120_000): Promise<void> {
    const running = this.nodes.filter((n) => n.daemon);
    await waitUntil(
      `galera nodes ${running.map((n) => n.index + 1).join(", ")} Synced in a cluster of ${running.length}`,
      async () => (await Promise.all(running.map((n) => this.state(n)))).every((s) => s.clusterSize === running.length && s.state === "Synced" && s.ready),
      timeoutMs,
      () => running.map((n) => `--- galera${n.index + 1} ---\n${this.errorLog(n).slice(-3000)}`).join("\n"),
    );
  }

  errorLog(node: GaleraNode): string {
    try {
      return fs.readFileSync(path.join(node.dir, "error.log"), "utf8");
    } catch {
      return "";
    }
  }

  private config(node: GaleraNode): string {
    const p = node.ports;
    const addresses = this.nodes.map((n) => `127.0.0.1:${n.ports.gmcast}`).join(",");
    // Quick to notice a node that is gone (SIGKILL): writes wait for the group to settle meanwhile.
    const provider = [
      `gmcast.listen_addr=tcp://127.0.0.1:${p.gmcast}`,
      `ist.recv_addr=127.0.0.1:${p.ist}`,
      "gcache.size=128M",
      "evs.keepalive_period=PT0.5S",
      "evs.inactive_check_period=PT0.5S",
      "evs.suspect_timeout=PT2S",
      "evs.inactive_timeout=PT4S",
      "evs.install_timeout=PT4S",
    ].join(";");
    return [
      "[mariadbd]",
      ...(this.uid !== null ? [`user=${MYSQL_USER}`] : []),
      `datadir=${path.join(node.dir, "data")}`,
      `socket=${path.join(node.dir, "mariadb.sock")}`,
      `pid-file=${path.join(node.dir, "mariadb.pid")}`,
      `tmpdir=${path.join(node.dir, "tmp")}`,
      `log-error=${path.join(node.dir, "error.log")}`,
      `port=${p.sql}`,
      "bind-address=127.0.0.1",
      "skip-name-resolve",
      "character-set-server=utf8mb4",
      "collation-server=utf8mb4_unicode_ci",
      "max_connections=300",
      "innodb_buffer_pool_size=96M",
      "innodb_log_file_size=48M",
      "innodb_flush_log_at_trx_commit=2",
      "default_storage_engine=InnoDB",
      "binlog_format=ROW",
      "innodb_autoinc_lock_mode=2",
      "wsrep_on=ON",
      `wsrep_provider=${GALERA_PROVIDER}`,
      "wsrep_cluster_name=printmesh_cluster",
      `wsrep_cluster_address=gcomm://${addresses}`,
      `wsrep_node_name=galera${node.index + 1}`,
      `wsrep_provider_options="${provider}"`,
      `wsrep_sst_receive_address=127.0.0.1:${p.sst}`,
      "wsrep_sst_method=rsync",
      "wsrep_slave_threads=2",
      // No wsrep_sync_wait here: the centers ask for causal reads on their own connections
      // (DATABASE_SYNC_WAIT, default 1), which is what the fault test is to show.
      "",
    ].join("\n");
  }

  private async install(node: GaleraNode): Promise<void> {
    fs.mkdirSync(path.join(node.dir, "data"), { recursive: true });
    // Its own temporary folder: servers sharing one (the system's) may collide on temporary table names.
    fs.mkdirSync(path.join(node.dir, "tmp"), { recursive: true });
    fs.writeFileSync(path.join(node.dir, "my.cnf"), this.config(node));
    this.own(node.dir);
    await run(
      "mariadb-install-db",
      [
        "--no-defaults",
        ...(this.uid !== null ? [`--user=${MYSQL_USER}`] : []),
        `--datadir=${path.join(node.dir, "data")}`,
        `--tmpdir=${path.join(node.dir, "tmp")}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
      ],
      { timeout: 120_000 },
    );
    this.own(node.dir);
  }

  private async launch(node: GaleraNode, bootstrap: boolean): Promise<void> {
    // A node killed mid-transfer may leave a half-received state behind; it is fetched again whole.
    const args = [`--defaults-file=${path.join(node.dir, "my.cnf")}`, ...(bootstrap ? ["--wsrep-new-cluster"] : [])];
    node.daemon = this.daemons.spawn(`galera${node.index + 1}`, "mariadbd", args, { env: { PATH: process.env.PATH ?? "" } });
    const d = node.daemon;
    await waitUntil(
      `galera node ${node.index + 1} to answer on ${node.ports.sql}`,
      async () => {
        if (!d.running()) throw new GaveUp(`galera node ${node.index + 1} exited:\n${this.errorLog(node).slice(-4000)}`);
        const s = await this.stateOrSocket(node, bootstrap);
        return s;
      },
      120_000,
      () => this.errorLog(node).slice(-4000),
    );
  }

  /** Before root@127.0.0.1 exists (the bootstrap node, first start) the node is asked through its socket. */
  private async stateOrSocket(node: GaleraNode, bootstrap: boolean): Promise<boolean> {
    if (bootstrap && !fs.existsSync(path.join(node.dir, "granted"))) {
      await run("mariadb", ["--no-defaults", `--socket=${path.join(node.dir, "mariadb.sock")}`, "-uroot", "-e", "SELECT 1"], { timeout: 5000 });
      return true;
    }
    const s = await this.state(node);
    return s.state === "Synced";
  }

  private async grantRoot(node: GaleraNode): Promise<void> {
    const sql = [
      "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''",
      "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
      "FLUSH PRIVILEGES",
    ].join("; ");
    await run("mariadb", ["--no-defaults", `--socket=${path.join(node.dir, "mariadb.sock")}`, "-uroot", "-e", sql], { timeout: 30_000 });
    fs.writeFileSync(path.join(node.dir, "granted"), "");
  }

  /** The node's folder owned by the mysql user (when the harness runs as root). */
  private own(dir: string): void {
    if (this.uid === null || this.gid === null) return;
    const walk = (p: string) => {
      fs.chownSync(p, this.uid!, this.gid!);
      if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    };
    walk(dir);
  }
}

/** The uid and gid of the mysql user when this process runs as root (it then starts the nodes as mysql), else null. */
export async function mysqlIds(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const [uid, gid] = await Promise.all([run("id", ["-u", MYSQL_USER]), run("id", ["-g", MYSQL_USER])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
