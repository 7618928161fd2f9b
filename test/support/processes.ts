/**
 * Child processes for the tests that start the center or the lab daemon as operators do, and a
 * registry that kills whatever a test file left running when the file ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { until } from "./until";

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process and what it said. `output()` is what this process has read so far: a child's
 * stdout reaches it only when its event loop turns, so it can lag behind what the child has done
 * (a job the database already shows DONE). Wait for a line with `waitFor` before asserting on it;
 * `exited` settles once the child has exited and its output is all read.
 */
export interface Proc {
  child: ChildProcess;
  output(): string;
  /** The first match of `re` in the output; fails at the timeout, or as soon as the child is gone without it. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<ProcExit>;
}

export interface RunOptions {
  /** The child's whole environment: nothing of the suite's is passed on unless given here. */
  env: Record<string, string>;
  cwd?: string;
  /** In a process group of its own, as a container's first process; the registry then kills the group. */
  detached?: boolean;
  /** `waitFor`'s timeout when a call gives none. */
  waitForTimeoutMs?: number;
}

const running = new Map<ChildProcess, { detached: boolean }>();

/**
 * Kills what is left but what `keep` spares: the whole group of a detached child (its children may
 * outlive it), else the child.
 */
export function killLeftovers(keep: (child: ChildProcess) => boolean = () => false): void {
  for (const [child, { detached }] of running) {
    if (keep(child)) continue;
    try {
      if (detached) process.kill(-child.pid!, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    running.delete(child);
  }
}

// Each test file loads its own copy of this module, so this runs at the end of every file that uses it.
afterAll(() => killLeftovers());

export function run(command: string, args: string[], options: RunOptions): Proc {
  const { env, cwd, detached = false, waitForTimeoutMs = 30_000 } = options;
  let out = "";
  let closed = false;
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached });
  running.set(child, { detached });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  // "close", not "exit": at "exit" the child's last output may still be unread in the pipes.
  const exited = new Promise<ProcExit>((resolve) =>
    child.once("close", (code, signal) => {
      closed = true;
      // A detached child's group stays registered: what it started may still be running.
      if (!detached) running.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    async waitFor(re, timeoutMs = waitForTimeoutMs) {
      await until(`${re}`, () => closed || re.exec(out) !== null, { timeoutMs, intervalMs: 25 }).catch(() => undefined);
      // Looked at once more: the output is complete only once the child has closed its pipes.
      const m = re.exec(out);
      if (m) return m;
      throw new Error(`no ${re} within ${timeoutMs} ms; output:\n${out.slice(-4000)}`);
    },
  };
}

/** A port nothing listens on just now (for a center that is not there, or one to start on it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
