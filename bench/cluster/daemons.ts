/**
 * The cluster harness's processes: each started with a pid file in the cluster's folder, its
 * output kept in a log file there (and the last of it in memory, for a failure's message), stopped
 * by the harness on every way out. A harness that died before it could stop them (a test run
 * killed) leaves its pid files behind: the next start kills those processes first
 * (`killLeftovers`), recognising each by its pid and its start time, so a pid the system has given
 * to another process since is never touched.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Cluster folders are made under the system's temporary folder with this prefix. */
export const CLUSTER_DIR_PREFIX = "printmesh-cluster-";

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Daemon {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last 16 KiB it wrote (all of it is in its log file). */
  tail(): string;
  exited: Promise<DaemonExit>;
  /** Whether it is still running (not yet exited). */
  running(): boolean;
  /** SIGKILL, and its exit. */
  kill(): Promise<DaemonExit>;
  /** `signal` (SIGTERM), then SIGKILL after `graceMs`; its exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<DaemonExit>;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/** The processes of one cluster folder. */
export class Daemons {
  private readonly all = new Set<Daemon>();
  readonly pidDir: string;
  readonly logDir: string;

  constructor(readonly dir: string) {
    this.pidDir = path.join(dir, "pids");
    this.logDir = path.join(dir, "logs");
    fs.mkdirSync(this.pidDir, { recursive: true });
    fs.mkdirSync(this.logDir, { recursive: true });
    // A runner that exits before stopping them (a forced exit): none outlives it.
    process.once("exit", () => {
      for (const d of this.all) {
        try {
          process.kill(d.pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
    });
  }

  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): Daemon {
    const child = spawn(command, args, {
      cwd: options.cwd ?? this.dir,
      env: options.env ?? { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid === undefined) throw new Error(`${name}: ${command} could not be started`);
    const pid = child.pid;
    const pidFile = path.join(this.pidDir, `${name}.pid`);
    fs.writeFileSync(pidFile, `${pid} ${startTime(pid) ?? ""}\n`);
    const log = fs.createWriteStream(path.join(this.logDir, `${name}.log`), { flags: "a" });
    let tail = "";
    const keep = (d: Buffer) => {
      log.write(d);
      tail = (tail + d.toString("utf8")).slice(-16_384);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    let done = false;
    const exited = new Promise<DaemonExit>((resolve) =>
      child.once("close", (code, signal) => {
        done = true;
        log.end();
        fs.rmSync(pidFile, { force: true });
        this.all.delete(daemon);
        resolve({ code, signal });
      }),
    );
    const daemon: Daemon = {
      name,
      child,
      pid,
      tail: () => tail,
      exited,
      running: () => !done,
      kill: async () => {
        if (!done) child.kill("SIGKILL");
        return exited;
      },
      stop: async (signal = "SIGTERM", graceMs = 20_000) => {
        if (done) return exited;
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const exit = await exited;
        clearTimeout(timer);
        return exit;
      },
    };
    this.all.add(daemon);
    return daemon;
  }

  /** Every process still running, SIGKILLed, and their exits awaited. */
  async killAll(): Promise<void> {
    await Promise.all([...this.all].map((d) => d.kill()));
  }
}

/** A process's start time (clock ticks since boot, /proc/<pid>/stat), or null if it is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (2nd field) may hold spaces: the fields after it are counted from its ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Kills the processes a harness left behind in cluster folders under `base` (their pid files
 * still there) and removes those folders; answers how many processes were killed.
 */
export function killLeftovers(base = os.tmpdir()): number {
  let killed = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync(base).filter((e) => e.startsWith(CLUSTER_DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const dir = path.join(base, entry);
    const pidDir = path.join(dir, "pids");
    if (!fs.existsSync(pidDir)) continue;
    for (const file of fs.readdirSync(pidDir)) {
      const [pid, started] = fs.readFileSync(path.join(pidDir, file), "utf8").trim().split(" ");
      const n = Number(pid);
      if (!Number.isInteger(n) || n <= 1 || startTime(n) === null || startTime(n) !== started) continue;
      try {
        process.kill(n, "SIGKILL");
        killed++;
      } catch {
        // gone meanwhile
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return killed;
}

/** Thrown by a condition of `waitUntil` to stop waiting at once (a process it waits for has exited). */
export class GaveUp extends Error {}

/**
 * Waits until `condition` answers truthy; fails after `timeoutMs` naming `what` (and `detail()`).
 * An error the condition throws counts as "not yet" (a server not answering yet), but a GaveUp.
 */
export async function waitUntil<T>(what: string, condition: () => T | Promise<T>, timeoutMs: number, detail?: () => string): Promise<NonNullable<T>> {
  const started = Date.now();
  let last: unknown = null;
  for (;;) {
    try {
      const v = await condition();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      if (e instanceof GaveUp) throw e;
      last = e;
    }
    if (Date.now() - started > timeoutMs) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${detail ? `\n${detail()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
