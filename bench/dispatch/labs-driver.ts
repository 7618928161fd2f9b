/**
 * The runner's side of the simulated labs (bench/dispatch/labs-process.ts, a child process driven
 * over IPC; its messages are described there): shared by `npm run bench:dispatch` and
 * `npm run bench:cluster`. Keeps every event and completion the child reports, and the first
 * errors, and waits for a given kind of message under a time-out.
 */
import * as child from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../common";

export type LabsMessage =
  | { type: "ready" }
  | { type: "connected"; open: number; failed: number }
  | { type: "event"; jobId: string; at: number }
  | { type: "done"; jobId: string; at: number; ok: boolean; error?: string }
  | { type: "drained"; completed: number; failed: number; ms: number }
  | { type: "error"; message: string };

export class Labs {
  readonly events = new Map<string, number>();
  readonly done = new Map<string, { at: number; ok: boolean; error?: string }>();
  readonly errors: string[] = [];
  private waiters: Array<{ type: string; resolve: (m: LabsMessage) => void }> = [];

  constructor(readonly proc: child.ChildProcess) {
    proc.on("message", (m: LabsMessage) => {
      if (m.type === "event") this.events.set(m.jobId, m.at);
      else if (m.type === "done") {
        this.done.set(m.jobId, m);
        if (!m.ok && this.errors.length < 5) this.errors.push(`${m.jobId}: ${m.error}`);
      } else if (m.type === "error" && this.errors.length < 5) this.errors.push(m.message);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
  }

  /** Forks the labs' process and waits for its ready message; `started` hears of the child at once, so that a caller's clean-up can kill it. */
  static async start(transport: "ws" | "http", started: (proc: child.ChildProcess) => void = () => undefined): Promise<Labs> {
    const proc = child.fork(path.join(__dirname, "labs-process.js"), [], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: ["--max-old-space-size=4096"],
      env: { ...process.env, LAB_TRANSPORT: transport },
    });
    started(proc);
    const labs = new Labs(proc);
    await labs.next("ready", 30_000);
    return labs;
  }

  next<T extends LabsMessage["type"]>(type: T, timeoutMs: number): Promise<Extract<LabsMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const w = { type, resolve: resolve as (m: LabsMessage) => void };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error(`the labs' process did not answer ${type} within ${timeoutMs / 1000} s${this.errors.length ? ` (${this.errors.join("; ")})` : ""}`));
        }
      }, timeoutMs).unref();
    });
  }

  send(m: object): void {
    this.proc.send(m);
  }

  /** Asks the child to close its connections and exit; waits for it, 10 s at most. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.send({ type: "stop" });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}
