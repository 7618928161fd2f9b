/**
 * Waiting for a minilab controller's answer. A controller that signals (DPOF renames its order
 * folder `o…` to `e…` or `q…`, Frontier removes the `.txt` it took) is looked at every
 * `pollSeconds` until it answers or `acceptTimeoutSeconds` pass; on a time-out the order is taken
 * back (renamed away: a rename the controller wins means it took it after all), so that a job that
 * failed is not printed later too. The worker's lease is looked after between looks (`tick`).
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { sleep } from "../center-client";
import type { ControllerAnswer } from "../job-writer";

export type { ControllerAnswer } from "../job-writer";

/** One look: an answer, or null while the controller has not answered. */
export type Look = () => Promise<ControllerAnswer | null>;

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  /** True once the daemon stops. */
  stopping: () => boolean;
  /** Between looks: keeps the lease; false when the job is no longer ours. */
  tick: () => Promise<boolean>;
}

/** Looks until the controller answers, the time is up (null), the daemon stops, or the job is lost. */
export async function waitForAnswer(look: Look, o: WaitOptions): Promise<ControllerAnswer | null> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const answer = await look();
    if (answer) return answer;
    if (o.stopping()) return { kind: "stopped" };
    if (Date.now() >= deadline) return null;
    if (!(await o.tick())) return { kind: "lost", reason: "the center settled the job otherwise while the controller had it" };
    await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now())));
  }
}

/**
 * Takes `file` back from the controller: renamed into `aside` (same filesystem) and removed. False
 * when it was no longer there (the controller took or renamed it first).
 */
export async function takeBack(file: string, aside: string): Promise<boolean> {
  const to = path.join(aside, `withdrawn-${path.basename(file)}.${randomBytes(4).toString("hex")}`);
  try {
    await fsp.rename(file, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  await fsp.rm(to, { recursive: true, force: true });
  return true;
}

/** Whether a path exists (a folder or file), without following the question further. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}
