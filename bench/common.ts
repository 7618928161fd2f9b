/**
 * What the benchmarks share: DATABASE_URL parsing, the real center started as a child process on a database and waited
 * for until /readyz answers, logging in, the server's CPU time and memory read from /proc, the
 * machine line, percentiles and the plain-text table the reports print.
 *
 * Every child started here is remembered, so that a runner can stop them all on any way out
 * (`stopAll`), a failed measurement and Ctrl-C included.
 */
import * as child from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, redact, type DatabaseConfig } from "../src/config";

export const ROOT = path.resolve(__dirname, "..", "..");
export const CENTER_MAIN = path.join(ROOT, "dist", "src", "main.js");

/** Parses a DATABASE_URL the way the center does (config.ts is the only reader of that format). */
export function databaseConfig(databaseUrl: string): DatabaseConfig {
  return loadConfig({ DATABASE_URL: databaseUrl, NODE_ENV: "test", JWT_SECRET: "x".repeat(32), DEMO_DATA: "0" }).database;
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

export interface Child {
  name: string;
  proc: child.ChildProcess;
  /** The last lines it wrote, for the report when it fails. */
  output: string[];
  exited: Promise<number | null>;
}

const children = new Set<Child>();

export function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = child.spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim() !== ""),
    );
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const c: Child = { name, proc, output, exited };
  children.add(c);
  void exited.then(() => children.delete(c));
  return c;
}

/** SIGTERM (the center drains and exits, writing its CPU profile if asked), SIGKILL after 20 s. */
export async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill("SIGTERM");
  const timer = setTimeout(() => c.proc.kill("SIGKILL"), 20_000);
  await c.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

export function failure(c: Child, why: string): Error {
  return new Error(`${c.name}: ${why}\n--- last output of ${c.name} ---\n${c.output.slice(-30).join("\n")}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------
// The center
// ---------------------------------------------------------------------------

export interface CenterOptions {
  databaseUrl: string;
  /** The center's DATA_DIR (its images, its generated secret if any). */
  dataDir: string;
  /** Names the child in messages and its CPU profile file. */
  label: string;
  /** More node flags for the center, e.g. --max-semi-space-size=32. */
  nodeArgs?: string[];
  /** When set, the center runs with --cpu-prof into this folder. */
  profileDir?: string | null;
  /** More environment for the center, over the defaults below (e.g. DEMO_DATA, the lanes). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts `node dist/src/main.js` the way production runs it (NODE_ENV=production, no IDE, warnings
 * only, no demo data, no Redis) on a free port, and waits until /readyz answers (2 minutes at most).
 */
export async function startCenter(opts: CenterOptions): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    PORT: String(port),
    HOST: "127.0.0.1",
    JWT_SECRET: `bench-${Math.random().toString(36).slice(2)}-${"x".repeat(32)}`,
    DATA_DIR: opts.dataDir,
    DEMO_DATA: "0",
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    GRAPHQL_IDE: "0",
    BUSINESS_TIMEZONE: "UTC",
    ...opts.env,
  };
  delete env.REDIS_URL;
  const nodeArgs: string[] = [...(opts.nodeArgs ?? [])];
  if (opts.profileDir) {
    fs.mkdirSync(opts.profileDir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`, `--cpu-prof-name=center-${opts.label}-${Date.now()}.cpuprofile`);
  }
  const c = spawnChild(`center@${opts.label}`, [...nodeArgs, CENTER_MAIN], env);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (c.proc.exitCode !== null) throw failure(c, `exited with ${c.proc.exitCode} before it was ready`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw failure(c, "not ready after 120 s");
    await sleep(100);
  }
  return { child: c, url };
}

/** Logs in through the public API; the bearer token, or an error saying what came back. */
export async function login(url: string, loginName: string, password: string): Promise<string> {
  const r = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation Login($login: String!, $password: String!) { login(login: $login, password: $password) { errors { code message } token } }",
      variables: { login: loginName, password },
    }),
  });
  const body = (await r.json()) as { data?: { login?: { token?: string | null; errors?: unknown[] } }; errors?: unknown[] };
  const token = body.data?.login?.token;
  if (!r.ok || !token) throw new Error(`login as ${loginName} failed: HTTP ${r.status} ${JSON.stringify(body).slice(0, 500)}`);
  return token;
}

// ---------------------------------------------------------------------------
// Measuring a process (Linux /proc)
// ---------------------------------------------------------------------------

/** Resident and peak resident memory of a process, in MiB. */
export function memoryMiB(pid: number): { rss: number | null; peak: number | null } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string): number | null => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
      return m ? Number(m[1]) / 1024 : null;
    };
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return { rss: null, peak: null };
  }
}

/** CPU seconds (user + system, every thread) a process has used so far (100 ticks/s). */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

export function fmt(n: number | null, digits: number): string {
  return n === null || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Columns padded to their widest cell: the first left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

/** The q-quantile (0..1) of ascending values, nearest rank; NaN when there are none. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One line on the machine, so that figures from different machines are not compared blindly. */
export function machineLine(loadGenerator: string): string {
  const cpus = os.cpus();
  return (
    `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown"}), ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, ` +
    `node ${process.version}, ${os.platform()} ${os.release()}; load generator (${loadGenerator}) on the same machine; ` +
    `load average ${os
      .loadavg()
      .map((l) => fmt(l, 2))
      .join(" ")}`
  );
}

// ---------------------------------------------------------------------------
// Options from the environment, GraphQL calls, memory over a run, the way out
// ---------------------------------------------------------------------------

/** A whole number from the environment, `fallback` when unset; an error naming the variable otherwise. */
export function envInt(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A `WIDTHxHEIGHT` pixel size from the environment, `fallback` when unset. */
export function envPixels(name: string, fallback: string): { width: number; height: number } {
  const raw = (process.env[name] ?? "").trim() || fallback;
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(raw);
  if (!m || Number(m[1]) < 16 || Number(m[2]) < 16) throw new Error(`${name} must be WIDTHxHEIGHT (each at least 16), got ${JSON.stringify(raw)}`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Runs one GraphQL operation over HTTP; its data, or an error saying what came back instead. */
export async function graphql<T>(url: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: T | null; errors?: unknown[] };
  if (!r.ok || body.errors || !body.data) throw new Error(`GraphQL answered HTTP ${r.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** Samples a process's resident memory (VmRSS, MiB) every `everyMs` until stopped. */
export class RssSampler {
  readonly samples: Array<{ at: number; rss: number }> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** Takes a sample now and returns it (null when the process is gone). */
  sample(): number | null {
    const { rss } = memoryMiB(this.pid);
    if (rss !== null) this.samples.push({ at: Date.now(), rss });
    return rss;
  }

  /** The largest sample taken at or after `since` (epoch ms). */
  peakSince(since: number): number | null {
    const after = this.samples.filter((s) => s.at >= since).map((s) => s.rss);
    return after.length === 0 ? null : Math.max(...after);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/**
 * Runs a benchmark's main: its exit code on the way out, 1 with its message when it throws, 130 on
 * Ctrl-C or SIGTERM. On each of those ways, once: every child is stopped, then `cleanUp` runs.
 * `interrupted`, when given, is aborted at the signal (so the workload starts nothing new), and a
 * main that then throws for that reason is not reported as failing. Messages are redacted (no
 * password of a database URL is printed).
 */
export function runBench(main: () => Promise<number>, cleanUp: () => Promise<void> = async () => {}, interrupted?: AbortController): void {
  let cleaning: Promise<void> | null = null;
  const clean = (): Promise<void> => (cleaning ??= stopAll().then(cleanUp));
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (cleaning || interrupted?.signal.aborted) return;
      interrupted?.abort();
      progress(`${signal}: stopping every process and cleaning up`);
      void clean().finally(() => process.exit(130));
    });
  }
  main().then(
    async (code) => {
      await clean();
      process.exit(code);
    },
    async (e: unknown) => {
      if (!interrupted?.signal.aborted) process.stderr.write(`bench: ${redact(e instanceof Error ? e.message : String(e))}\n`);
      await clean();
      process.exit(1);
    },
  );
}

/** How a benchmark's flag is read: a number (an integer is rounded down) of at least `min`, text, or a switch. */
export type FlagSpec = { kind: "number" | "integer"; min: number } | { kind: "string" } | { kind: "boolean" };

type FlagValue<F extends FlagSpec> = F extends { kind: "boolean" } ? boolean : F extends { kind: "string" } ? string : number;

/**
 * A benchmark's flags (`--name value` or `--name=value`), read with node's own parser: the flags
 * given, each as its spec says; an unknown flag, a missing value or a number out of range stops
 * the run with a message naming the flag.
 */
export function readFlags<S extends Record<string, FlagSpec>>(argv: string[], spec: S): { [K in keyof S]?: FlagValue<S[K]> } {
  const options = Object.fromEntries(Object.entries(spec).map(([name, f]) => [name, { type: f.kind === "boolean" ? "boolean" : "string" } as const]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    const f = spec[name];
    if (f.kind === "number" || f.kind === "integer") {
      const n = Number(raw);
      if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(n) || n < f.min) {
        throw new Error(`--${name} needs a number of at least ${f.min}, got ${String(raw)}`);
      }
      out[name] = f.kind === "integer" ? Math.floor(n) : n;
    } else {
      out[name] = raw;
    }
  }
  return out as { [K in keyof S]?: FlagValue<S[K]> };
}
