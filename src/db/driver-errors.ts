/**
 * What a failed statement means, on either engine: the one place that reads the drivers' error
 * codes (mysql2's `code`, better-sqlite3's extended result codes). TypeORM wraps the driver's error
 * in a QueryFailedError with the original as `driverError`; mysql2 used directly throws it bare.
 */

/** The broken constraint a failed statement reports: a unique index (or primary key), or a foreign key. */
export type ConstraintKind = "unique" | "foreign";

const UNIQUE = new Set(["ER_DUP_ENTRY", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"]);
const FOREIGN = new Set(["ER_NO_REFERENCED_ROW", "ER_NO_REFERENCED_ROW_2", "ER_ROW_IS_REFERENCED", "ER_ROW_IS_REFERENCED_2", "SQLITE_CONSTRAINT_FOREIGNKEY"]);
/** MySQL/MariaDB: InnoDB may have rolled back the whole transaction, which may succeed if run again. */
const LOCK_CONFLICT = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT"]);

/** The driver's error code, whether the error is TypeORM's wrapper or the driver's own; undefined if none. */
export function driverErrorCode(e: unknown): string | undefined {
  const err = e as { code?: string; driverError?: { code?: string } } | null | undefined;
  return err?.driverError?.code ?? err?.code;
}

/** Which constraint a failed statement broke, or null when it failed for another reason. */
export function constraintKind(e: unknown): ConstraintKind | null {
  const code = driverErrorCode(e);
  if (code === undefined) return null;
  if (UNIQUE.has(code)) return "unique";
  if (FOREIGN.has(code)) return "foreign";
  return null;
}

/** A duplicate-key failure on either engine (a unique index or primary key refused the row). */
export function isUniqueViolation(e: unknown): boolean {
  return constraintKind(e) === "unique";
}

/** A deadlock or lock wait time-out (MySQL/MariaDB): the transaction is to be run again as a whole. */
export function isLockConflict(e: unknown): boolean {
  const code = driverErrorCode(e);
  return code !== undefined && LOCK_CONFLICT.has(code);
}
