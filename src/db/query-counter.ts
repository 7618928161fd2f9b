/**
 * Counts the SQL statements the center sends, for tests that prove a page of results costs a
 * constant number of queries (no N+1). Counting is a single increment; nothing is logged here.
 */
import type { Logger } from "typeorm";

export const queryCounter: { count: number; batches: number; coalesced: number; recent: string[] | null } = {
  count: 0,
  /** Transactions sent in one round trip (db/statement-batch), each also counted in `count` by its statements. */
  batches: 0,
  /** Round trips that carried single statements sent together (db/statement-batch `runCoalesced`). */
  coalesced: 0,
  /** When a test sets an array here, each statement's SQL is appended to it. */
  recent: null,
};

/**
 * Begins the statements a process sends on its own timers (the cache version check), which are no
 * request's cost: they are not counted, so a count taken around a request is that request's alone.
 */
export const BACKGROUND_SQL = "/* background */ ";

export class CountingLogger implements Logger {
  logQuery(query: string): void {
    if (query.startsWith(BACKGROUND_SQL)) return;
    queryCounter.count++;
    queryCounter.recent?.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
