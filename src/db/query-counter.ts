/**
 * Counts the SQL statements the center sends, for tests that prove a page of results costs a
 * constant number of queries (no N+1). Counting is a single increment; nothing is logged here.
 */
import type { Logger } from "typeorm";

export const queryCounter = { count: 0 };

export class CountingLogger implements Logger {
  logQuery(): void {
    queryCounter.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
