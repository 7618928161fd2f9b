/**
 * Readings taken when a timed window opens and closes: CPU time of the center, of mariadbd, of
 * this process (the load generator) and of the whole machine, the center's memory, and MariaDB's own counters of statements
 * and commits, so the report can say per order where the time went and how many round trips an
 * order took. The counters are the server's global ones: another client of the same MariaDB during
 * the run inflates them (with nothing else running they match the statements the center sends).
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import * as mysql from "mysql2/promise";
import { cpuSeconds, memoryMiB } from "../common";
import { connectionOptions, type MysqlConfig } from "./scratch-database";

export interface Sample {
  /** CPU seconds of the process that talks to MariaDB for the orders (the center), when there is one. */
  server: number | null;
  /** The server's resident memory, MiB. */
  serverRss: number | null;
  mariadb: number | null;
  self: number;
  /** CPU seconds every core of the machine spent busy, and stolen by the hypervisor, so far. */
  machine: { busy: number; steal: number } | null;
  /** When the CPU times were read (performance.now(), ms). */
  at: number;
  /** MariaDB's global status counters (this probe's own statements are in them: two a window). */
  statements: number | null;
  commits: number | null;
}

/** Busy and stolen CPU seconds of the whole machine since boot (Linux /proc/stat, 100 ticks/s). */
function machineCpu(): { busy: number; steal: number } | null {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: (user + nice + system + irq + softirq) / 100, steal: steal / 100 };
  } catch {
    return null;
  }
}

export interface PerOrder {
  serverCpuMs: number | null;
  mariadbCpuMs: number | null;
  selfCpuMs: number;
  statements: number | null;
  commits: number | null;
}

export class Probe {
  private constructor(
    private readonly conn: mysql.Connection,
    readonly mariadbPid: number | null,
    readonly version: string,
  ) {}

  static async open(db: MysqlConfig): Promise<Probe> {
    const conn = await mysql.createConnection(connectionOptions(db));
    const [rows] = await conn.query("SELECT @@pid_file AS pidFile, VERSION() AS version");
    const { pidFile, version } = (rows as Array<{ pidFile: string | null; version: string }>)[0];
    // Only when MariaDB runs on this machine and its pid file can be read; else the column shows "-".
    let pid: number | null = null;
    try {
      const n = Number(fs.readFileSync(pidFile ?? "", "utf8").trim());
      if (Number.isInteger(n) && n > 0 && cpuSeconds(n) !== null) pid = n;
    } catch {
      pid = null;
    }
    return new Probe(conn, pid, version);
  }

  async close(): Promise<void> {
    await this.conn.end();
  }

  /** CPU times are read at once (the window's edge); the counters follow one round trip later. */
  async sample(serverPid: number | null): Promise<Sample> {
    const usage = process.cpuUsage();
    const cpu = {
      server: serverPid === null ? null : cpuSeconds(serverPid),
      serverRss: serverPid === null ? null : memoryMiB(serverPid).rss,
      mariadb: this.mariadbPid === null ? null : cpuSeconds(this.mariadbPid),
      self: (usage.user + usage.system) / 1e6,
      machine: machineCpu(),
      at: performance.now(),
    };
    try {
      const [rows] = await this.conn.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit')");
      const status = new Map((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, Number(r.Value)]));
      return { ...cpu, statements: status.get("Questions") ?? null, commits: status.get("Com_commit") ?? null };
    } catch {
      return { ...cpu, statements: null, commits: null };
    }
  }
}

/**
 * Cores' worth of CPU that processes other than the center, mariadbd and this one used between two
 * samples, and the hypervisor stole: what the machine was busy with besides the benchmark.
 */
export function elsewhere(before: Sample, after: Sample): { otherCores: number | null; stolenCores: number | null } {
  const seconds = (after.at - before.at) / 1000;
  if (before.machine === null || after.machine === null || seconds <= 0) return { otherCores: null, stolenCores: null };
  const ours = after.self - before.self + (after.mariadb ?? 0) - (before.mariadb ?? 0) + (after.server ?? 0) - (before.server ?? 0);
  return {
    otherCores: Math.max(0, after.machine.busy - before.machine.busy - ours) / seconds,
    stolenCores: (after.machine.steal - before.machine.steal) / seconds,
  };
}

export function perOrder(before: Sample, after: Sample, orders: number): PerOrder {
  const per = (a: number | null, b: number | null, scale: number): number | null =>
    a === null || b === null || orders === 0 ? null : ((b - a) * scale) / orders;
  return {
    serverCpuMs: per(before.server, after.server, 1000),
    mariadbCpuMs: per(before.mariadb, after.mariadb, 1000),
    selfCpuMs: per(before.self, after.self, 1000) ?? NaN,
    statements: per(before.statements, after.statements, 1),
    commits: per(before.commits, after.commits, 1),
  };
}
