/**
 * What a failed statement means, on either engine: the one place that reads the drivers' error
 * codes (mysql2's `code`, better-sqlite3's extended result codes). TypeORM wraps the driver's error
 * in a QueryFailedError with the original as `driverError`; mysql2 used directly throws it bare.
 */

/** The broken constraint a failed statement reports: a unique index (or primary key), or a foreign key. */
export type ConstraintKind = "unique" | "foreign";

const UNIQUE = new Set(["ER_DUP_ENTRY", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"]);
const FOREIGN = new Set(["ER_NO_REFERENCED_ROW", "ER_NO_REFERENCED_ROW_2", "ER_ROW_IS_REFERENCED", "ER_ROW_IS_REFERENCED_2", "SQLITE_CONSTRAINT_FOREIGNKEY"]);
/**
 * MySQL/MariaDB: InnoDB may have rolled back the whole transaction, which may succeed if run again.
 * Galera reports a certification conflict (another node committed a write to the same rows first)
 * as ER_LOCK_DEADLOCK too, at COMMIT or at the next statement, whatever its message ("Deadlock
 * found when trying to get lock", "WSREP detected deadlock/conflict and aborted the transaction").
 */
const LOCK_CONFLICT = new Set(["ER_LOCK_DEADLOCK", "ER_LOCK_WAIT_TIMEOUT"]);
/** Galera: "WSREP has not yet prepared node for application use" (the node is not in the primary component). */
const NODE_NOT_READY_ERRNO = 1047; // ER_UNKNOWN_COM_ERROR
/** The socket went away (mysql2 marks such errors `fatal`); these codes also come from connecting. */
const CONNECTION_LOST = new Set(["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ER_CONNECTION_KILLED"]);

/** Why a failed unit may be run again: the label of the `printmesh_db_retries_total` metric. */
export type RetryCause = "deadlock" | "lock_wait_timeout" | "node_not_ready" | "connection_lost";

type DriverError = { code?: string; errno?: number; fatal?: boolean };

function driverError(e: unknown): DriverError | undefined {
  const err = e as (DriverError & { driverError?: DriverError }) | null | undefined;
  return err?.driverError ?? err ?? undefined;
}

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

/** Galera's "WSREP has not yet prepared node for application use": the statement did not run; another node may take it. */
export function isNodeNotReady(e: unknown): boolean {
  const err = driverError(e);
  return err?.errno === NODE_NOT_READY_ERRNO || err?.code === "ER_UNKNOWN_COM_ERROR";
}

/** The connection to the server was lost (or could not be made): what was sent on it may or may not have run. */
export function isConnectionLost(e: unknown): boolean {
  const err = driverError(e);
  return err?.fatal === true || (err?.code !== undefined && CONNECTION_LOST.has(err.code));
}

/** Why running the unit that failed with `e` again may succeed, or null when it would fail the same way. */
export function retryCause(e: unknown): RetryCause | null {
  const code = driverErrorCode(e);
  if (code === "ER_LOCK_DEADLOCK") return "deadlock";
  if (code === "ER_LOCK_WAIT_TIMEOUT") return "lock_wait_timeout";
  if (isNodeNotReady(e)) return "node_not_ready";
  if (isConnectionLost(e)) return "connection_lost";
  return null;
}

/**
 * The units run again by this process, by cause (process-wide, as the query counter: every data
 * source of the process adds to it). Read by the metrics at each scrape.
 */
export const retryCounts: Record<RetryCause, number> = { deadlock: 0, lock_wait_timeout: 0, node_not_ready: 0, connection_lost: 0 };

/**
 * The connection was lost while COMMIT (or a statement committing by itself) was on its way: the
 * work may be committed or not, and was not run again because it is not known to be safe to
 * repeat. The caller must read the database to know.
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`the database connection was lost during COMMIT; whether the work was committed is not known: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = "CommitOutcomeUnknownError";
  }
}
