/**
 * A real lab daemon process (the compiled `dist/src/lab-daemon/main.js`, as a lab runs it) printing
 * into a temporary folder with a lab's key, and its clean stop.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { run, type Proc, type ProcExit } from "./processes";

const ROOT = path.resolve(__dirname, "../..");
export const DAEMON_MAIN = path.join(ROOT, "dist/src/lab-daemon/main.js");

export interface LabDaemon {
  proc: Proc;
  /** The folder it prints into (job-<id>/ per job). */
  out: string;
  /** SIGTERM, then its exit; the folder is removed. */
  stop(): Promise<ProcExit>;
}

/**
 * Starts a daemon against `url` with `key`, by default on small test sheets (`paper`: other flags
 * instead, e.g. a low --dpi alone to print on the order's own sizes); the suite's environment is not
 * passed on.
 */
export function startLabDaemon(url: string, key: string, paper: string[] = ["--sheet", "40x60", "--dpi", "50"]): LabDaemon {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-daemon-"));
  const proc = run(process.execPath, [DAEMON_MAIN, "--url", url, "--key", key, "--out", out, ...paper], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "" },
  });
  return {
    proc,
    out,
    async stop() {
      proc.child.kill("SIGTERM");
      const exit = await proc.exited;
      fs.rmSync(out, { recursive: true, force: true });
      return exit;
    },
  };
}
