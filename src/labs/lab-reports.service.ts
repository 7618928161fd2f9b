/**
 * What labs tell the center besides claiming work (seed 000, claim 3; seed 001, claim 4): their
 * load (the latest on the labs row for the assignment, every report in a time series) and their
 * printing history (stored once per job, so a daemon may resend a batch safely), and what admins
 * read from it: per-day print statistics, the load history, and whether a lab is online. The load
 * time series is pruned to LAB_LOAD_RETENTION_DAYS on a timer (see pruneLoadReports).
 */
import { runInBackground } from "../core/background-work";
import { randomUUID } from "node:crypto";
import { In } from "typeorm";
import { badInput, userError, type UserErrorData } from "../common/errors";
import { LabEntity } from "./lab.entity";
import { isUniqueViolation } from "../db/driver-errors";
import { withTransaction } from "../db/transaction";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import type { AppContext, RequestContext } from "../core/request-context";
import { keysetPage, type Connection } from "../core/pagination";
import { addDays, businessDate, isValidDate } from "../pricing/business-date";
import { LabLoadReportEntity, PrintHistoryEntity } from "./lab-report.entity";
import type { PrintJobRecordsService } from "../dispatch/print-job-records.service";
import { deleteOldLoadReports, printDayRows, pruneLoadReportsSql } from "./lab-report.rows";
import { labInScope } from "./lab-scope";
import type { LabPresence } from "./lab-presence.service";

/** Most entries per reportPrintHistory call. */
export const MAX_HISTORY_BATCH = 1000;
/** Most business dates per labPrintStats call. */
export const MAX_STATS_DAYS = 366;
export const MAX_LOAD_HISTORY = 1000;
export const MAX_UTILISATION = 100;
/** A lab's clock may run this far ahead of the center's before a printedAt counts as "in the future". */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** A lab's last-seen instant is written at most this often per lab and process. */
const SEEN_EVERY_MS = 10_000;
const MAX_SHEETS = 1_000_000;
const MAX_PRINTER_LENGTH = 200;
const DAY_MS = 24 * 3600 * 1000;
/** Most load reports one DELETE removes: each batch is its own short transaction. */
export const PRUNE_BATCH = 5000;
/** Most batches per pruning run (1,000,000 rows); a run stopped by this cap is followed by another soon. */
export const PRUNE_MAX_BATCHES = 200;
/** The first pruning run comes this long after start (plus up to as much again at random, so that processes started together spread out). */
export const PRUNE_FIRST_DELAY_MS = 60_000;
/** Then a run every hour ... */
export const PRUNE_EVERY_MS = 3600_000;
/** ... or this soon after a run that stopped at PRUNE_MAX_BATCHES with rows left. */
export const PRUNE_AGAIN_MS = 60_000;

export interface LoadInput {
  queuedJobs: number;
  queuedSheets: number;
  utilisation: number;
}

export interface HistoryEntry {
  jobId: string;
  printedAt: Date;
  sheets: number;
  printer?: string | null;
  ok: boolean;
}

export interface PrintDay {
  date: string;
  sheets: number;
  jobsCompleted: number;
  failures: number;
}

export interface PrintStats {
  labId: string;
  from: string;
  to: string;
  days: PrintDay[];
  sheetsPrinted: number;
  jobsCompleted: number;
  failures: number;
  throughputSheetsPerHour: number;
}

export interface LatestLoad {
  reportedAt: Date;
  queuedJobs: number;
  queuedSheets: number;
  utilisation: number;
}

export interface PruneOptions {
  /** Reports older than this many days go; LAB_LOAD_RETENTION_DAYS by default. */
  retentionDays?: number;
  now?: Date;
  /** Rows per DELETE (and transaction); PRUNE_BATCH by default. */
  batchSize?: number;
  /** Most DELETEs in this run; PRUNE_MAX_BATCHES by default. */
  maxBatches?: number;
  /** Asked between batches: true ends the run early (a shutdown). */
  shouldStop?: () => boolean;
}

export interface PruneReport {
  deleted: number;
  batches: number;
  /** Reports before this instant were pruned. */
  cutoff: Date;
  /** False when the run ended at maxBatches (or was stopped) with rows perhaps left. */
  complete: boolean;
}

export interface RunningPruner {
  /** Stops the timer and waits for a run under way (which ends after its current batch). */
  stop(): Promise<void>;
}

export class LabReportsService {
  constructor(
    private readonly presence: LabPresence,
    private readonly printJobs: PrintJobRecordsService,
  ) {}

  private readonly lastSeenWritten = new Map<string, number>();

  // ---------------------------------------------------------------- load

  /** Keeps the report on the labs row (what the assignment reads) and appends it to the time series. */
  async reportLoad(ctx: RequestContext, input: LoadInput): Promise<Outcome<boolean>> {
    const labId = labOf(ctx);
    const errors: UserErrorData[] = [];
    for (const name of ["queuedJobs", "queuedSheets"] as const) {
      const v = input[name];
      if (!Number.isSafeInteger(v) || v < 0) errors.push(userError("INVALID_LOAD", `${name} must be a whole number of 0 or more, got ${v}`, ["input", name]));
    }
    const u = input.utilisation;
    if (!Number.isFinite(u) || u < 0 || u > MAX_UTILISATION) {
      errors.push(userError("INVALID_LOAD", `utilisation must be a number from 0 to ${MAX_UTILISATION}, got ${u}`, ["input", "utilisation"]));
    }
    if (errors.length > 0) return { value: null, errors };
    return inTransaction(ctx, async ({ em, emit }) => {
      const now = new Date();
      // Assignment ranks by the latest load: its cached lab list is dropped in every process.
      emit("invalidate", { kind: "labs" });
      await em.update(
        LabEntity,
        { id: labId },
        { loadQueuedJobs: input.queuedJobs, loadQueuedSheets: input.queuedSheets, loadUtilisation: u, loadReportedAt: now, lastSeenAt: now },
      );
      await em.insert(LabLoadReportEntity, {
        id: randomUUID(),
        labId,
        reportedAt: now,
        queuedJobs: input.queuedJobs,
        queuedSheets: input.queuedSheets,
        utilisation: u,
      });
      this.lastSeenWritten.set(labId, now.getTime());
      return true;
    });
  }

  /** The lab's load reports, newest first. */
  async loadHistory(ctx: RequestContext, labId: string, first: number): Promise<LatestLoad[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_LOAD_HISTORY) throw badInput(`first must be 1 to ${MAX_LOAD_HISTORY}`, ["first"]);
    await labInScope(ctx, ctx.app.ds.manager, labId, { shopAdmins: true });
    return ctx.app.ds.getRepository(LabLoadReportEntity).find({ where: { labId }, order: { reportedAt: "DESC", id: "DESC" }, take: first });
  }

  /** The same reports a page at a time (a Relay connection), for the same callers. */
  async loadHistoryPage(ctx: RequestContext, labId: string, page: { first: number; after: string | null }): Promise<Connection<LabLoadReportEntity>> {
    await labInScope(ctx, ctx.app.ds.manager, labId, { shopAdmins: true });
    const qb = ctx.app.ds.getRepository(LabLoadReportEntity).createQueryBuilder("r").where("r.lab_id = :lab", { lab: labId });
    return keysetPage(
      qb,
      { at: "r.reported_at", id: "r.id" },
      page,
      (r) => ({ at: r.reportedAt, id: r.id }),
      (r) => r,
    );
  }

  /** The latest report kept on the labs row, or null before the first. */
  latestLoad(lab: LabEntity): LatestLoad | null {
    if (lab.loadReportedAt === null || lab.loadUtilisation === null) return null;
    return { reportedAt: lab.loadReportedAt, queuedJobs: lab.loadQueuedJobs ?? 0, queuedSheets: lab.loadQueuedSheets ?? 0, utilisation: lab.loadUtilisation };
  }

  // ---------------------------------------------------------------- retention

  /**
   * Deletes the load reports older than the retention, lab by lab through the (lab_id, reported_at)
   * index, at most `batchSize` rows per DELETE, each DELETE its own transaction, until none is left
   * or `maxBatches` were run. The latest load on the labs row is not touched. Several processes
   * pruning at once only delete the same rows once (a row deleted by one is simply gone for the
   * other). Every report's lab is in `labs` (the foreign key cascades), so listing labs finds them all.
   */
  async pruneLoadReports(app: Pick<AppContext, "ds" | "logger" | "config">, opts: PruneOptions = {}): Promise<PruneReport> {
    const retentionDays = opts.retentionDays ?? app.config.labLoadRetentionDays;
    const batchSize = opts.batchSize ?? PRUNE_BATCH;
    const maxBatches = opts.maxBatches ?? PRUNE_MAX_BATCHES;
    if (!Number.isSafeInteger(retentionDays) || retentionDays < 1) throw new Error(`retentionDays must be a whole number of 1 or more, got ${retentionDays}`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a whole number of 1 or more, got ${batchSize}`);
    const cutoff = new Date((opts.now ?? new Date()).getTime() - retentionDays * DAY_MS);
    const report: PruneReport = { deleted: 0, batches: 0, cutoff, complete: true };
    const sql = pruneLoadReportsSql(app.ds, batchSize);
    const labs = await app.ds.getRepository(LabEntity).find({ select: { id: true }, order: { id: "ASC" } });
    run: for (const { id: labId } of labs) {
      for (;;) {
        if (report.batches >= maxBatches || opts.shouldStop?.()) {
          report.complete = false;
          break run;
        }
        const deleted = await withTransaction(app.ds, (em) => deleteOldLoadReports(em, sql, labId, cutoff));
        report.batches += 1;
        report.deleted += deleted;
        if (deleted < batchSize) break;
      }
    }
    if (report.deleted > 0) {
      app.logger.info(
        {
          event: "lab_load_reports_pruned",
          deleted: report.deleted,
          batches: report.batches,
          before: cutoff.toISOString(),
          retentionDays,
          complete: report.complete,
        },
        "old lab load reports pruned",
      );
    }
    return report;
  }

  /**
   * Prunes shortly after start (PRUNE_FIRST_DELAY_MS), then every PRUNE_EVERY_MS (sooner after a
   * run that stopped at its cap); `stop` ends it for a clean shutdown. A failed run is logged and
   * the next one tries again.
   */
  startLoadPruner(
    app: AppContext,
    opts: { firstDelayMs?: number; everyMs?: number; againMs?: number } & Pick<PruneOptions, "batchSize" | "maxBatches"> = {},
  ): RunningPruner {
    return runInBackground(
      app.logger,
      "pruning lab load reports failed; the next run tries again",
      {
        firstDelayMs: opts.firstDelayMs ?? PRUNE_FIRST_DELAY_MS + Math.floor(Math.random() * PRUNE_FIRST_DELAY_MS),
        everyMs: opts.everyMs ?? PRUNE_EVERY_MS,
        againMs: opts.againMs ?? PRUNE_AGAIN_MS,
      },
      (shouldStop) => this.pruneLoadReports(app, { batchSize: opts.batchSize, maxBatches: opts.maxBatches, shouldStop }),
    );
  }

  // ---------------------------------------------------------------- presence

  /** Online: its daemon holds a printJobs subscription here, or was heard from within LAB_ONLINE_GRACE_SECONDS. */
  isOnline(ctx: RequestContext, lab: LabEntity): boolean {
    return this.presence.isOnline(lab.id, lab.lastSeenAt, ctx.app.config.labOnlineGraceSeconds);
  }

  /**
   * Records that the calling lab was heard from now. Throttled per lab and process, and written
   * outside the caller's transaction, so that a burst of claims does not queue on the labs row.
   */
  async seen(ctx: RequestContext): Promise<void> {
    if (ctx.auth.kind !== "lab") return;
    const labId = ctx.auth.labId;
    // A lab holding its printJobs subscription here is kept seen by that stream's own heartbeat.
    if (this.presence.isConnectedHere(labId)) return;
    const now = Date.now();
    if (now - (this.lastSeenWritten.get(labId) ?? 0) < SEEN_EVERY_MS) return;
    this.lastSeenWritten.set(labId, now);
    try {
      await withTransaction(ctx.app.ds, (em) => em.update(LabEntity, { id: labId }, { lastSeenAt: new Date(now) }));
    } catch (e) {
      ctx.app.logger.warn({ err: e, labId }, "could not record that a lab was seen");
    }
  }

  // ---------------------------------------------------------------- history

  /**
   * Stores the entries not stored yet, keyed by (lab, job); counts only those. Every entry must
   * name a job of the calling lab; any fault refuses the whole batch, naming the entry. Within a
   * batch, and against what is stored, the first report of a job wins.
   */
  async reportHistory(ctx: RequestContext, entries: HistoryEntry[]): Promise<Outcome<number>> {
    const labId = labOf(ctx);
    if (entries.length > MAX_HISTORY_BATCH) {
      return {
        value: null,
        errors: [userError("TOO_MANY_ENTRIES", `At most ${MAX_HISTORY_BATCH} entries per call, got ${entries.length}; send them in batches`, ["entries"])],
      };
    }
    if (entries.length === 0) return { value: 0, errors: [] };
    const errors: UserErrorData[] = [];
    const latest = Date.now() + CLOCK_SKEW_MS;
    entries.forEach((e, i) => {
      const at = (f: string) => ["entries", i, f];
      if (!Number.isSafeInteger(e.sheets) || e.sheets < 0 || e.sheets > MAX_SHEETS)
        errors.push(userError("INVALID_SHEETS", `sheets must be 0 to ${MAX_SHEETS}, got ${e.sheets}`, at("sheets")));
      if (Number.isNaN(e.printedAt.getTime()) || e.printedAt.getTime() > latest)
        errors.push(userError("PRINTED_IN_FUTURE", `printedAt ${e.printedAt.toISOString()} is in the future`, at("printedAt")));
      if (e.printer && e.printer.length > MAX_PRINTER_LENGTH)
        errors.push(userError("INVALID_PRINTER", `printer must be at most ${MAX_PRINTER_LENGTH} characters`, at("printer")));
    });
    // Only the lab's own jobs; another lab's job reads as unknown, like everywhere a lab looks.
    const orderOf = await this.printJobs.ordersOfLabJobs(
      ctx.app.ds.manager,
      labId,
      entries.map((e) => e.jobId),
    );
    entries.forEach((e, i) => {
      // Exact match: a case-insensitive collation must not let "ABC" stand for job "abc".
      if (!orderOf.has(e.jobId)) errors.push(userError("UNKNOWN_JOB", `No job ${e.jobId} of this lab`, ["entries", i, "jobId"]));
    });
    if (errors.length > 0) return { value: null, errors };

    const firsts = new Map<string, HistoryEntry>();
    for (const e of entries) if (!firsts.has(e.jobId)) firsts.set(e.jobId, e);
    const tz = ctx.app.config.businessTimeZone;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await inTransaction(ctx, async ({ em }) => {
          const stored = new Set<string>();
          const keys = [...firsts.keys()];
          for (let i = 0; i < keys.length; i += 500) {
            const rows = await em.find(PrintHistoryEntity, { where: { labId, jobId: In(keys.slice(i, i + 500)) }, select: { jobId: true } });
            for (const r of rows) stored.add(r.jobId);
          }
          const now = new Date();
          const fresh = [...firsts.values()]
            .filter((e) => !stored.has(e.jobId))
            .map((e) =>
              Object.assign(new PrintHistoryEntity(), {
                labId,
                jobId: e.jobId,
                orderId: orderOf.get(e.jobId)!,
                printedAt: e.printedAt,
                businessDate: businessDate(e.printedAt, tz),
                sheets: e.sheets,
                printer: e.printer ?? null,
                ok: e.ok,
                reportedAt: now,
              }),
            );
          for (let i = 0; i < fresh.length; i += 200) await em.insert(PrintHistoryEntity, fresh.slice(i, i + 200));
          return fresh.length;
        });
        await this.seen(ctx);
        return r;
      } catch (e) {
        // The same entries sent twice at once: one insert wins, the other sees them next time.
        if (attempt < 3 && isUniqueViolation(e)) continue;
        throw e;
      }
    }
  }

  /**
   * Sheets, completed jobs and failed prints per business date from `from` to `to` (inclusive, every
   * date listed), their totals, and the throughput over the period (24 hours per business date).
   */
  async printStats(ctx: RequestContext, labId: string, from: string, to: string): Promise<PrintStats> {
    if (!isValidDate(from)) throw badInput(`from is not a date: ${from}`, ["from"]);
    if (!isValidDate(to)) throw badInput(`to is not a date: ${to}`, ["to"]);
    if (to < from) throw badInput(`to (${to}) is before from (${from})`, ["to"]);
    const dates: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) {
      if (dates.length === MAX_STATS_DAYS) throw badInput(`At most ${MAX_STATS_DAYS} days at once`, ["to"]);
      dates.push(d);
    }
    await labInScope(ctx, ctx.app.ds.manager, labId, { shopAdmins: true });
    const byDate = new Map((await printDayRows(ctx.app.ds, labId, from, to)).map(({ date, ...sums }) => [date, sums]));
    const days = dates.map((date) => ({ date, ...(byDate.get(date) ?? { sheets: 0, jobsCompleted: 0, failures: 0 }) }));
    const sum = (f: "sheets" | "jobsCompleted" | "failures") => days.reduce((n, d) => n + d[f], 0);
    const sheetsPrinted = sum("sheets");
    return {
      labId,
      from,
      to,
      days,
      sheetsPrinted,
      jobsCompleted: sum("jobsCompleted"),
      failures: sum("failures"),
      throughputSheetsPerHour: sheetsPrinted / (days.length * 24),
    };
  }
}

function labOf(ctx: RequestContext): string {
  if (ctx.auth.kind !== "lab") throw new Error("lab reports called without a lab (the resolver admits labs only)");
  return ctx.auth.labId;
}
