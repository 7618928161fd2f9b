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

export class CountingLogger implements Logger {
  logQuery(query: string): void {
    queryCounter.count++;
    queryCounter.recent?.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
