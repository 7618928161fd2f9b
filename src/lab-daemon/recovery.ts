/**
 * What the lab daemon knows from its journal: on start, reconciling the journal with the hot folder
 * and carrying on at once with every job a previous run left in hand, with the lease token the
 * journal holds (a job written but not completed is completed; one claimed but not written, or
 * half-written, is written now, its temporary folder removed first), never waiting for that lease
 * to lapse; taking a job again whose lease ran out while we held it; and settling a written job as
 * completed or forgotten.
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import type { CenterClient } from "./center-client";
import type { HotFolder } from "./hot-folder";
import type { QueuedJob } from "./job-queue";
import type { HistoryEntry, JobRecord, Journal } from "./journal";
import { reason } from "./run-state";

export interface RecoveryDeps {
  client: CenterClient;
  journal: Journal;
  hot: HotFolder;
  say: (line: string) => void;
  /** The printer's name in the printing history (default: this host's name). */
  printer?: string | null;
  /** Called for each job this process records as completed. */
  completed: (jobId: string) => void;
}

export class Recovery {
  constructor(private readonly d: RecoveryDeps) {}

  /** Reconciles the journal with the hot folder after a stop of any kind; the jobs to complete. */
  recover(): QueuedJob[] {
    const { journal, hot, say } = this.d;
    const finish: QueuedJob[] = [];
    for (const rec of journal.all()) {
      switch (rec.state) {
        case "claimed":
          say(`job ${rec.jobId} was not written when the daemon stopped: writing it now with the lease the journal holds`);
          finish.push({ id: rec.jobId, orderId: rec.orderId, sheets: 0, notBefore: 0, finish: true });
          break;
        case "publishing":
          if (rec.tmp && hot.stillPending(rec.tmp)) {
            // Back to claimed, with the same lease: the temporary folder goes (below) and the job is written again.
            journal.append({
              op: "claimed",
              job: rec.jobId,
              order: rec.orderId,
              token: rec.leaseToken ?? "",
              expires: rec.leaseExpiresAt,
              attempts: rec.attempts,
            });
            say(`job ${rec.jobId} was half-written when the daemon stopped: removed, writing it again now with the lease the journal holds`);
            finish.push({ id: rec.jobId, orderId: rec.orderId, sheets: rec.sheets ?? 0, notBefore: 0, finish: true });
          } else {
            // The rename happened (its temporary folder is gone): the job is in the hot folder.
            journal.append({ op: "written", job: rec.jobId, dir: rec.dir ?? hot.dirFor(rec.jobId), sheets: rec.sheets ?? 0 });
            say(`job ${rec.jobId} is in the hot folder but was not completed: completing it`);
            finish.push({ id: rec.jobId, orderId: rec.orderId, sheets: rec.sheets ?? 0, notBefore: 0, finish: true });
          }
          break;
        case "written":
          say(`job ${rec.jobId} is in the hot folder but was not completed: completing it`);
          finish.push({ id: rec.jobId, orderId: rec.orderId, sheets: rec.sheets ?? 0, notBefore: 0, finish: true });
          break;
        case "completed":
          break;
        default:
          throw new Error(`unreachable job state ${(rec as JobRecord).state}`);
      }
    }
    const removed = hot.recover();
    if (removed.length > 0) say(`removed ${removed.length} half-written job folder(s) left by a previous run`);
    const pending = journal.pendingHistory().length;
    if (pending > 0) say(`${pending} printing history entr${pending === 1 ? "y" : "ies"} to report`);
    return finish;
  }

  /**
   * Whether a lease that ran out by our clock is still ours: true when the job is LEASED with the
   * attempts it had at our claim (a lapsed lease is swept with attempts + 1 before anyone can claim
   * the job, and the center completes a lapsed lease nobody swept); a new token when the job was
   * swept back to the queue and we claimed it again; null when it is someone else's now.
   */
  async stillOurs(jobId: string, attemptsAtClaim: number | null): Promise<true | string | null> {
    let status;
    try {
      status = await this.d.client.jobStatus(jobId);
    } catch (e) {
      this.d.say(`job ${jobId}: its lease ran out and its status is unknown (${reason(e)})`);
      return null;
    }
    if (status?.status === "LEASED" && attemptsAtClaim !== null && status.attempts === attemptsAtClaim) return true;
    if (status?.status === "QUEUED") return this.reclaim(jobId);
    return null;
  }

  /**
   * The lease to carry on with a job a previous run claimed and did not write: the one the journal
   * holds while it lasts by our clock; once lapsed, still that one if the center has not moved the
   * job on (see stillOurs), a new one if it went back to the queue and we claimed it again; null
   * (the job forgotten) when it is someone else's now or its status cannot be read, and it is
   * printed when the center offers it again.
   */
  async resumeLease(rec: JobRecord): Promise<{ token: string; expiresAt: string | null; attempts: number | null } | null> {
    const held = rec.leaseToken ? { token: rec.leaseToken, expiresAt: rec.leaseExpiresAt, attempts: rec.attempts } : null;
    if (held && (!held.expiresAt || Date.now() < Date.parse(held.expiresAt))) return held;
    const ours = held ? await this.stillOurs(rec.jobId, rec.attempts) : null;
    if (ours === true) return held;
    if (typeof ours === "string") {
      const now = this.d.journal.get(rec.jobId);
      return { token: ours, expiresAt: now?.leaseExpiresAt ?? null, attempts: now?.attempts ?? null };
    }
    this.d.journal.append({ op: "forget", job: rec.jobId, why: "its lease ran out while the daemon was stopped" });
    this.d.say(`job ${rec.jobId}: its lease ran out while the daemon was stopped and it is not ours now; it is printed when the center offers it again`);
    return null;
  }

  /** Claims a job again (its lease ran out while we held it); the new token, or null. */
  async reclaim(jobId: string): Promise<string | null> {
    return (await this.reclaimLease(jobId))?.token ?? null;
  }

  async reclaimLease(jobId: string): Promise<{ token: string; expiresAt: string | null; attempts: number | null } | null> {
    const { client, journal, say } = this.d;
    try {
      const again = await client.claim(jobId, newClaimKey());
      if (again.errors.length === 0 && again.leaseToken) {
        const rec = journal.get(jobId);
        journal.append({
          op: "claimed",
          job: jobId,
          order: again.job?.orderId ?? rec?.orderId ?? "",
          token: again.leaseToken,
          expires: again.leaseExpiresAt,
          attempts: again.job?.attempts ?? null,
        });
        say(`job ${jobId} claimed again (its lease had run out)`);
        return { token: again.leaseToken, expiresAt: again.leaseExpiresAt, attempts: again.job?.attempts ?? null };
      }
      say(`job ${jobId}: could not claim it again (${again.errors[0]?.code ?? "no lease"})`);
    } catch (e) {
      say(`job ${jobId}: could not claim it again (${reason(e)})`);
    }
    return null;
  }

  /** A written job the center has settled otherwise: DONE (record it) or FAILED (forget it). */
  settleWritten(rec: JobRecord, status: "DONE" | "FAILED", why?: string): boolean {
    if (status === "DONE") {
      this.markCompleted(rec, "completed (the center had already recorded it)");
    } else {
      this.d.journal.append({ op: "forget", job: rec.jobId, why: why ?? "withdrawn after it was written" });
      this.d.say(`job ${rec.jobId}: ${why ?? "withdrawn by the center after it was written to the hot folder"}; check ${rec.dir ?? "the hot folder"}`);
    }
    return true;
  }

  /** Records a written job as completed, with its printing history entry to report. */
  markCompleted(rec: JobRecord, words: string): void {
    const entry: HistoryEntry = {
      jobId: rec.jobId,
      printedAt: rec.writtenAt ?? new Date().toISOString(),
      sheets: rec.sheets ?? 0,
      printer: this.d.printer ?? os.hostname(),
      ok: true,
    };
    this.d.journal.append({ op: "completed", job: rec.jobId, history: entry });
    this.d.completed(rec.jobId);
    this.d.say(`job ${rec.jobId} ${words}`);
  }
}

/** A fresh key for one claim (the center accepts 16 to 64 characters of A-Z, a-z, 0-9, _ and -). */
export function newClaimKey(): string {
  return randomBytes(16).toString("base64url");
}
