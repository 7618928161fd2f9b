/**
 * A transaction sent to MySQL/MariaDB in one round trip: `START TRANSACTION; s1; s2; ...; COMMIT`.
 *
 * Placing and confirming an order write a few rows each. Sent one statement at a time, with BEGIN
 * and COMMIT, each costs the center a write and a read on its socket and the work of a query
 * around them: per order, more of the center's CPU than MariaDB spends running the statements.
 * Sent together, they cost one of each.
 *
 * The batch runs on a small pool of its own, opened with multiple statements allowed. TypeORM's
 * pool keeps one statement per query: a value that escaped its quoting there could not add a
 * statement. Here only hand-written SQL runs, constant text with `?` placeholders whose values
 * mysql2 escapes; a statement whose text holds a `;` is refused before anything is sent.
 *
 * MariaDB stops a batch at its first failing statement with the transaction still open: it is
 * rolled back on the same connection before the connection goes back to the pool, so nothing is
 * half-written. A deadlock or lock wait time-out (a Galera certification conflict at COMMIT among
 * them) or a Galera node that is not ready runs the whole batch again, as `withTransaction` does.
 * Its COMMIT travels with its statements: a connection lost during the round trip leaves the batch
 * perhaps committed, so it is run again (on the next server) only when the caller says it is safe
 * to repeat. Each statement is counted like TypeORM's (START TRANSACTION and COMMIT included).
 *
 * The pool is opened by the same driver as TypeORM's (the data source's `driver` option, a
 * failover pool over the DATABASE_URL's hosts with the same session settings).
 *
 * On a Galera cluster node none of this shares a round trip (see `onGalera`): the same statements
 * go one by one, in a transaction run again whole after a certification conflict.
 */
import * as mysql2 from "mysql2";
import type { Pool, PoolConnection, ResultSetHeader } from "mysql2";
import type { DataSource } from "typeorm";
import type { MysqlDataSourceOptions } from "typeorm/driver/mysql/MysqlDataSourceOptions";
import { mysqlConnectionOptions } from "./mysql-connection";
import { isConnectionLost, retryCause } from "./driver-errors";
import { BACKGROUND_SQL, queryCounter } from "./query-counter";
import { againAfter, isSqlite, runSql, withTransaction, type UnitOptions } from "./transaction";

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface StatementResult {
  /** Rows changed (INSERT, UPDATE, DELETE). */
  affected: number;
  /** Rows read (SELECT). */
  rows: Array<Record<string, unknown>>;
}

/** Connections of a batch pool; each holds one for a single round trip. */
const POOL_SIZE = 10;

const pools = new WeakMap<DataSource, Pool>();

function poolFor(ds: DataSource): Pool {
  let pool = pools.get(ds);
  if (pool) return pool;
  const options = ds.options as MysqlDataSourceOptions;
  const driver = (options.driver as typeof mysql2 | undefined) ?? mysql2;
  pool = driver.createPool({
    // As TypeORM's pool is opened: the same servers, session, text, instants and integers.
    ...mysqlConnectionOptions(options),
    multipleStatements: true,
    connectionLimit: POOL_SIZE,
    // Idle connections are closed after a while, so a process that batched once keeps none for long.
    maxIdle: 2,
    idleTimeout: 30_000,
  });
  pools.set(ds, pool);
  return pool;
}

/** True when `ds` can run batches (MySQL/MariaDB). */
export function batchesSupported(ds: DataSource): boolean {
  return !isSqlite(ds);
}

/**
 * Runs `statements` as one transaction in one round trip and answers each one's result, in order.
 * A failing statement rolls everything back and throws (its error as mysql2 reports it: `code`,
 * `errno`, `sqlMessage`). `repeatable`: see UnitOptions (a lost connection is otherwise reported
 * as CommitOutcomeUnknownError, the batch perhaps committed).
 */
export async function runBatch(ds: DataSource, statements: readonly Statement[], opts: UnitOptions = {}): Promise<StatementResult[]> {
  if (!batchesSupported(ds)) throw new Error("runBatch is for MySQL/MariaDB");
  if (statements.length === 0) return [];
  for (const s of statements) {
    if (s.sql.includes(";")) throw new Error(`a batched statement must be one statement: ${s.sql.slice(0, 80)}`);
  }
  if (await onGalera(ds)) {
    // One statement per round trip, in a transaction run again whole after a conflict.
    return withTransaction(
      ds,
      async (em) => {
        const out: StatementResult[] = [];
        for (const st of statements) out.push(await runSql(em, st.sql, st.params));
        return out;
      },
      opts,
    );
  }
  const sql = `START TRANSACTION; ${statements.map((s) => s.sql).join("; ")}; COMMIT`;
  const params = statements.flatMap((s) => s.params);
  const pool = poolFor(ds);
  for (let attempt = 1; ; attempt++) {
    let conn: PoolConnection | null = null;
    try {
      conn = await connectionOf(pool);
      count(statements);
      const results = await query(conn, sql, params);
      conn.release();
      // The answers of START TRANSACTION and COMMIT are the first and the last.
      return (results as unknown[]).slice(1, -1).map(result);
    } catch (e) {
      // Not sent when no connection was had; else the COMMIT went with the statements.
      const sent = conn !== null;
      if (conn !== null) await rollBack(conn, e);
      await againAfter(e, attempt, sent && !opts.repeatable);
    }
  }
}

// mysql2's callback API: its promise wrapper captures a stack trace for every query.
function connectionOf(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => pool.getConnection((e, conn) => (e ? reject(e) : resolve(conn))));
}

function query(conn: PoolConnection, sql: string, params: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => conn.query(sql, params, (e, results) => (e ? reject(e) : resolve(results))));
}

/** Rolls back what a failed batch left open; a connection that cannot, or was lost, is dropped, not reused. */
async function rollBack(conn: PoolConnection, cause?: unknown): Promise<void> {
  if (cause !== undefined && isConnectionLost(cause)) {
    conn.destroy();
    return;
  }
  try {
    await query(conn, "ROLLBACK", []);
    conn.release();
  } catch {
    conn.destroy();
  }
}

function count(statements: readonly Statement[]): void {
  queryCounter.count += statements.length + 2;
  queryCounter.batches++;
  if (queryCounter.recent) queryCounter.recent.push("START TRANSACTION", ...statements.map((s) => s.sql), "COMMIT");
}

function result(r: unknown): StatementResult {
  if (Array.isArray(r)) return { affected: 0, rows: r as Array<Record<string, unknown>> };
  return { affected: (r as ResultSetHeader).affectedRows ?? 0, rows: [] };
}

// ---------------------------------------------------------------------------------------------------
// Single statements, coalesced
// ---------------------------------------------------------------------------------------------------

/** Statements sent in one round trip at most; more issued in one turn go in several. */
const MAX_COALESCED = 64;
/** Statements that change rows: each answers one OK packet, which is how a round trip's progress is read. */
const CHANGES_ROWS = /^\s*(?:UPDATE|INSERT|DELETE)\b/i;

interface Waiting {
  sql: string;
  params: unknown[];
  attempt: number;
  resolve(r: StatementResult): void;
  reject(e: unknown): void;
}

type SqlError = Error & { fatal?: boolean; code?: string };

const waiting = new WeakMap<DataSource, Waiting[]>();

/**
 * One statement that changes rows, atomic by itself, sent together with the others issued in the
 * same turn of the event loop: the labs' claims and completions that arrive together cost the
 * center one write and one read on one connection, and MariaDB one commit (one flush of its log),
 * not one of each per statement. Each caller still gets its own statement's result (rows changed)
 * or error, and only once its statement is committed.
 *
 * Several statements go as `START TRANSACTION; s1; ...; sn; COMMIT` (one alone goes as it is), and
 * MariaDB stops at the first that fails:
 * - a deadlock or a lock wait time-out (InnoDB may have undone the whole transaction; a Galera
 *   certification conflict at COMMIT among them), or a Galera node not ready: it is rolled back
 *   and every statement sent again, the one that failed (or the last, when COMMIT failed) after a
 *   pause, as `withTransaction` does, and only as many times;
 * - any other error undoes that statement only: the ones before it are committed, its caller gets
 *   the error, and the ones after it, which did not run, are sent again;
 * - a connection lost on the way, or a COMMIT that fails, fails every statement not yet known to
 *   be committed, as it fails a statement sent alone whose answer is lost.
 */
export function runCoalesced(ds: DataSource, sql: string, params: unknown[]): Promise<StatementResult> {
  if (!batchesSupported(ds)) return Promise.reject(new Error("runCoalesced is for MySQL/MariaDB"));
  if (sql.includes(";")) return Promise.reject(new Error(`a coalesced statement must be one statement: ${sql.slice(0, 80)}`));
  if (!CHANGES_ROWS.test(sql)) return Promise.reject(new Error(`a coalesced statement must change rows (UPDATE, INSERT, DELETE): ${sql.slice(0, 80)}`));
  return new Promise((resolve, reject) => enqueue(ds, { sql, params, attempt: 1, resolve, reject }));
}

function enqueue(ds: DataSource, w: Waiting): void {
  let queue = waiting.get(ds);
  if (queue === undefined) waiting.set(ds, (queue = []));
  queue.push(w);
  if (queue.length === 1) setImmediate(() => void sendWaiting(ds));
}

async function sendWaiting(ds: DataSource): Promise<void> {
  const queue = waiting.get(ds) ?? [];
  waiting.delete(ds);
  // On Galera each goes alone (autocommit, one statement per round trip): see onGalera.
  const size = (await onGalera(ds).catch(() => false)) ? 1 : MAX_COALESCED;
  for (let i = 0; i < queue.length; i += size) void sendTogether(ds, queue.slice(i, i + size));
}

const galera = new WeakMap<DataSource, Promise<boolean>>();

/**
 * Whether the server is a Galera cluster node (`@@wsrep_on`), asked once per data source. There,
 * several statements of one transaction never share a round trip: a transaction that a replicated
 * write aborts (brute-force abort) between two statements of one multi-statement packet was seen to
 * lose its writes while the packet's COMMIT still answered OK, so that the center answered an order
 * that was never stored. Each statement in a packet of its own learns of the abort (a deadlock
 * error), and the whole unit runs again.
 */
export function onGalera(ds: DataSource): Promise<boolean> {
  let known = galera.get(ds);
  if (known === undefined) {
    known = ds.query(`${BACKGROUND_SQL}SELECT @@wsrep_on AS wsrep`).then(
      (rows: Array<{ wsrep: unknown }>) => Number(rows[0]?.wsrep) === 1,
      () => false, // MySQL has no such variable: not Galera
    );
    galera.set(ds, known);
  }
  return known;
}

async function sendTogether(ds: DataSource, batch: Waiting[]): Promise<void> {
  const wrapped = batch.length > 1;
  queryCounter.count += batch.length + (wrapped ? 2 : 0);
  queryCounter.coalesced++;
  if (queryCounter.recent) queryCounter.recent.push(...(wrapped ? ["START TRANSACTION", ...batch.map((w) => w.sql), "COMMIT"] : [batch[0].sql]));
  let conn: PoolConnection;
  try {
    conn = await connectionOf(poolFor(ds));
  } catch (e) {
    for (const w of batch) w.reject(e);
    return;
  }
  const statements = batch.map((w) => w.sql).join("; ");
  const sql = wrapped ? `START TRANSACTION; ${statements}; COMMIT` : statements;
  // Each OK packet as it arrives: on a failure, how far MariaDB got.
  const answered: ResultSetHeader[] = [];
  const error = await new Promise<SqlError | null>((resolve) => {
    conn
      .query(
        sql,
        batch.flatMap((w) => w.params),
        (e) => resolve(e),
      )
      .on("result", (r) => answered.push(r as unknown as ResultSetHeader));
  });
  const results = wrapped ? answered.slice(1, 1 + batch.length) : answered;
  const cause = error === null || error.fatal ? null : retryCause(error);
  if (error === null) {
    conn.release();
    batch.forEach((w, i) =>
      i < results.length
        ? w.resolve(result(results[i]))
        : w.reject(new Error(`MariaDB answered ${results.length} of ${batch.length} statements sent together`)),
    );
    return;
  }
  // The statement that failed: the first without an answer (START TRANSACTION never fails alone),
  // or the last when every statement ran and COMMIT failed.
  const failed = Math.min(results.length, batch.length - 1);
  // A deadlock or lock wait time-out: InnoDB may have rolled back the whole transaction, not just the
  // statement; Galera reports a certification conflict at COMMIT so. A node not ready ran nothing.
  if (wrapped && cause !== null && cause !== "connection_lost") {
    await rollBack(conn);
    batch.forEach((w, i) => i !== failed && enqueue(ds, w));
    retryOrReject(ds, batch[failed], error);
    return;
  }
  if (error.fatal || (wrapped && results.length === batch.length)) {
    // The connection is gone, or every statement ran and the COMMIT failed: whether they are
    // committed is not known, as for a statement sent alone whose answer is lost.
    if (error.fatal) conn.destroy();
    else await rollBack(conn);
    for (const w of batch) w.reject(error);
    return;
  }
  if (wrapped && failed > 0) {
    // The statements before the failed one stand: they are committed.
    try {
      await query(conn, "COMMIT", []);
      conn.release();
    } catch (e) {
      conn.destroy();
      for (const w of batch) w.reject(e);
      return;
    }
    queryCounter.count++;
    for (let i = 0; i < failed; i++) batch[i].resolve(result(results[i]));
  } else if (wrapped) {
    await rollBack(conn); // nothing ran: only the transaction to end
  } else {
    conn.release();
  }
  for (const w of batch.slice(failed + 1)) enqueue(ds, w); // never ran
  retryOrReject(ds, batch[failed], error);
}

/** A statement that failed: sent again after a pause when it may succeed then, else its caller gets the error. */
function retryOrReject(ds: DataSource, w: Waiting, error: unknown): void {
  againAfter(error, w.attempt).then(
    () => enqueue(ds, { ...w, attempt: w.attempt + 1 }),
    (e: unknown) => w.reject(e),
  );
}

/** Closes the batch pool of `ds`, if it has one (a later batch opens a new one). */
export async function closeBatches(ds: DataSource): Promise<void> {
  const pool = pools.get(ds);
  if (!pool) return;
  pools.delete(ds);
  await new Promise<void>((resolve, reject) => pool.end((e) => (e ? reject(e) : resolve())));
}
