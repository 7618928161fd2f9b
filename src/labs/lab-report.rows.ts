/**
 * The hand-written statements of the lab reports, with the engines' differences kept here: the
 * batched pruning of old load reports (MariaDB deletes with ORDER BY ... LIMIT, SQLite through a
 * sub-select) and the per-day sums of the printing history (MariaDB answers SUM as a DECIMAL string).
 */
import type { DataSource, EntityManager } from "typeorm";
import { isSqlite } from "../db/transaction";
import { PrintHistoryEntity } from "./lab-report.entity";

/** One business date's sums of a lab's printing history. */
export interface PrintDayRow {
  date: string;
  sheets: number;
  jobsCompleted: number;
  failures: number;
}

/**
 * The statement that deletes up to `batchSize` of one lab's load reports before an instant, oldest
 * first; its parameters are the lab's id and the instant (see deleteOldLoadReports). The batch size
 * is a checked integer, written into the statement (a LIMIT placeholder is not portable).
 */
export function pruneLoadReportsSql(ds: DataSource, batchSize: number): string {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a whole number of 1 or more, got ${batchSize}`);
  return isSqlite(ds)
    ? `DELETE FROM lab_load_reports WHERE id IN (SELECT id FROM lab_load_reports WHERE lab_id = ? AND reported_at < ? ORDER BY reported_at LIMIT ${batchSize})`
    : `DELETE FROM lab_load_reports WHERE lab_id = ? AND reported_at < ? ORDER BY reported_at LIMIT ${batchSize}`;
}

/** Runs a statement of pruneLoadReportsSql in the transaction of `em`; answers how many reports went. */
export async function deleteOldLoadReports(em: EntityManager, sql: string, labId: string, before: Date): Promise<number> {
  return (await em.queryRunner!.query(sql, [labId, before.getTime()], true)).affected ?? 0;
}

/** Sheets, completed jobs and failures per business date from `from` to `to` (inclusive); dates without history are absent. */
export async function printDayRows(ds: DataSource, labId: string, from: string, to: string): Promise<PrintDayRow[]> {
  const rows: Array<{ d: string; sheets: string | number | null; jobs: string | number | null; failures: string | number | null }> = await ds
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
  return rows.map((r) => ({ date: r.d, sheets: Number(r.sheets ?? 0), jobsCompleted: Number(r.jobs ?? 0), failures: Number(r.failures ?? 0) }));
}
