/**
 * A real center process (`node dist/src/main.js`, compiled by the global setup) started with only
 * the given environment (and PATH): its output kept, `ready` resolving to its base URL once it
 * prints its ready line, or failing with its output if it exits first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { until } from "./until";

const ROOT = path.resolve(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");

export interface CenterProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<string>;
}

export function startCenterProcess(env: Record<string, string>): CenterProcess {
  let out = "";
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  let gone: string | null = null;
  child.once("exit", (code) => (gone = `center exited with ${code}: ${out}`));
  const ready = until(
    "the center's ready line",
    () => {
      if (gone) throw new Error(gone);
      return /ready at (http:\/\/[^\s]+)\/graphql/.exec(out)?.[1];
    },
    { timeoutMs: 30_000, intervalMs: 50, detail: () => out },
  );
  return { child, output: () => out, ready };
}
