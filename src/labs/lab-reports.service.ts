/**
 * What labs tell the center besides claiming work (seed 000, claim 3; seed 001, claim 4): their
 * load (the latest on the labs row for the assignment, every report in a time series) and their
 * printing history (stored once per job, so a daemon may resend a batch safely), and what admins
 * read from it: per-day print statistics, the load history, and whether a lab is online.
 */
import { randomUUID } from "node:crypto";
import { In } from "typeorm";
import { badInput, forbidden, notFound, userError, type UserErrorData } from "../common/errors";
import { LabEntity } from "../catalog/lab.entity";
import { withTransaction, isUniqueViolation } from "../db/transaction";
import { inTransaction, type Outcome } from "../db/unit-of-work";
import type { RequestContext } from "../graphql/context";
import { adminGroupId, adminShopId, isCenterAdmin, managesShopAsGroup } from "../identity/scope";
import { addDays, businessDate, isValidDate } from "../pricing/business-date";
import { LabLoadReportEntity, PrintHistoryEntity } from "./lab-report.entity";
import { PrintJobEntity } from "./print-job.entity";

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

export class LabReportsService {
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
      await em.insert(LabLoadReportEntity, { id: randomUUID(), labId, reportedAt: now, queuedJobs: input.queuedJobs, queuedSheets: input.queuedSheets, utilisation: u });
      this.lastSeenWritten.set(labId, now.getTime());
      return true;
    });
  }

  /** The lab's load reports, newest first. */
  async loadHistory(ctx: RequestContext, labId: string, first: number): Promise<LatestLoad[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_LOAD_HISTORY) throw badInput(`first must be 1 to ${MAX_LOAD_HISTORY}`, ["first"]);
    await this.labInScope(ctx, labId);
    return ctx.app.ds.getRepository(LabLoadReportEntity).find({ where: { labId }, order: { reportedAt: "DESC", id: "DESC" }, take: first });
  }

  /** The latest report kept on the labs row, or null before the first. */
  latestLoad(lab: LabEntity): LatestLoad | null {
    if (lab.loadReportedAt === null || lab.loadUtilisation === null) return null;
    return { reportedAt: lab.loadReportedAt, queuedJobs: lab.loadQueuedJobs ?? 0, queuedSheets: lab.loadQueuedSheets ?? 0, utilisation: lab.loadUtilisation };
  }

  // ---------------------------------------------------------------- presence

  /** Online: its daemon holds a printJobs subscription here, or was heard from within LAB_ONLINE_GRACE_SECONDS. */
  isOnline(ctx: RequestContext, lab: LabEntity): boolean {
    return ctx.app.services.presence.isOnline(lab.id, lab.lastSeenAt, ctx.app.config.labOnlineGraceSeconds);
  }

  /**
   * Records that the calling lab was heard from now. Throttled per lab and process, and written
   * outside the caller's transaction, so that a burst of claims does not queue on the labs row.
   */
  async seen(ctx: RequestContext): Promise<void> {
    if (ctx.auth.kind !== "lab") return;
    const labId = ctx.auth.labId;
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
      return { value: null, errors: [userError("TOO_MANY_ENTRIES", `At most ${MAX_HISTORY_BATCH} entries per call, got ${entries.length}; send them in batches`, ["entries"])] };
    }
    if (entries.length === 0) return { value: 0, errors: [] };
    const errors: UserErrorData[] = [];
    const latest = Date.now() + CLOCK_SKEW_MS;
    entries.forEach((e, i) => {
      const at = (f: string) => ["entries", i, f];
      if (!Number.isSafeInteger(e.sheets) || e.sheets < 0 || e.sheets > MAX_SHEETS) errors.push(userError("INVALID_SHEETS", `sheets must be 0 to ${MAX_SHEETS}, got ${e.sheets}`, at("sheets")));
      if (Number.isNaN(e.printedAt.getTime()) || e.printedAt.getTime() > latest) errors.push(userError("PRINTED_IN_FUTURE", `printedAt ${e.printedAt.toISOString()} is in the future`, at("printedAt")));
      if (e.printer && e.printer.length > MAX_PRINTER_LENGTH) errors.push(userError("INVALID_PRINTER", `printer must be at most ${MAX_PRINTER_LENGTH} characters`, at("printer")));
    });
    // Only the lab's own jobs; another lab's job reads as unknown, like everywhere a lab looks.
    const ids = [...new Set(entries.map((e) => e.jobId))];
    const orderOf = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const jobs = await ctx.app.ds.getRepository(PrintJobEntity).find({ where: { labId, id: In(ids.slice(i, i + 500)) }, select: { id: true, orderId: true } });
      for (const j of jobs) orderOf.set(j.id, j.orderId);
    }
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
    await this.labInScope(ctx, labId);
    const rows: Array<{ d: string; sheets: string | number | null; jobs: string | number | null; failures: string | number | null }> = await ctx.app.ds
      .getRepository(PrintHistoryEntity)
      .createQueryBuilder("h")
      .select("h.business_date", "d")
      .addSelect("SUM(CASE WHEN h.ok = 1 THEN h.sheets ELSE 0 END)", "sheets")
      .addSelect("SUM(CASE WHEN h.ok = 1 THEN 1 ELSE 0 END)", "jobs")
      .addSelect("SUM(CASE WHEN h.ok = 1 THEN 0 ELSE 1 END)", "failures")
      .where("h.lab_id = :lab AND h.business_date >= :from AND h.business_date <= :to", { lab: labId, from, to })
      .groupBy("h.business_date")
      .getRawMany();
    // MariaDB answers SUM as a DECIMAL string.
    const byDate = new Map(rows.map((r) => [r.d, { sheets: Number(r.sheets ?? 0), jobsCompleted: Number(r.jobs ?? 0), failures: Number(r.failures ?? 0) }]));
    const days = dates.map((date) => ({ date, ...(byDate.get(date) ?? { sheets: 0, jobsCompleted: 0, failures: 0 }) }));
    const sum = (f: "sheets" | "jobsCompleted" | "failures") => days.reduce((n, d) => n + d[f], 0);
    const sheetsPrinted = sum("sheets");
    return { labId, from, to, days, sheetsPrinted, jobsCompleted: sum("jobsCompleted"), failures: sum("failures"), throughputSheetsPerHour: sheetsPrinted / (days.length * 24) };
  }

  // ---------------------------------------------------------------- scope

  /**
   * The lab, if the caller administers it: center admins every lab, a group admin the labs of
   * their group's shops, a shop admin their shop's labs. Unknown: NOT_FOUND; outside: FORBIDDEN.
   */
  private async labInScope(ctx: RequestContext, labId: string): Promise<LabEntity> {
    const lab = await ctx.app.ds.getRepository(LabEntity).findOne({ where: { id: labId } });
    if (!lab || lab.id !== labId) throw notFound(`No lab ${labId}`);
    if (isCenterAdmin(ctx)) return lab;
    const shopId = adminShopId(ctx);
    if (shopId !== null && lab.shopId === shopId) return lab;
    if (adminGroupId(ctx) !== null && (await managesShopAsGroup(ctx, ctx.app.ds.manager, lab.shopId))) return lab;
    throw forbidden(`Lab ${labId} is outside your scope`);
  }
}

function labOf(ctx: RequestContext): string {
  if (ctx.auth.kind !== "lab") throw new Error("lab reports called without a lab (the resolver admits labs only)");
  return ctx.auth.labId;
}

