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
 * half-written. A deadlock or lock wait time-out runs the whole batch again, as `withTransaction`
 * does. Each statement is counted like TypeORM's (START TRANSACTION and COMMIT included).
 */
import { createPool, type Pool, type PoolConnection, type ResultSetHeader } from "mysql2";
import type { DataSource } from "typeorm";
import type { MysqlDataSourceOptions } from "typeorm/driver/mysql/MysqlDataSourceOptions";
import { queryCounter } from "./query-counter";
import { againAfter, isSqlite } from "./transaction";

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
  const o = ds.options as MysqlDataSourceOptions;
  pool = createPool({
    host: o.host,
    port: o.port,
    socketPath: o.socketPath,
    user: o.username,
    password: o.password,
    database: o.database,
    // As TypeORM's pool is opened (db/data-source.ts): the same text, instants and integers.
    charset: o.charset,
    timezone: o.timezone,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: true,
    // As TypeORM's: no stack trace captured for every query.
    trace: false,
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
 * `errno`, `sqlMessage`).
 */
export async function runBatch(ds: DataSource, statements: readonly Statement[]): Promise<StatementResult[]> {
  if (!batchesSupported(ds)) throw new Error("runBatch is for MySQL/MariaDB");
  if (statements.length === 0) return [];
  for (const s of statements) {
    if (s.sql.includes(";")) throw new Error(`a batched statement must be one statement: ${s.sql.slice(0, 80)}`);
  }
  const sql = `START TRANSACTION; ${statements.map((s) => s.sql).join("; ")}; COMMIT`;
  const params = statements.flatMap((s) => s.params);
  const pool = poolFor(ds);
  for (let attempt = 1; ; attempt++) {
    count(statements);
    const conn = await connectionOf(pool);
    try {
      const results = await query(conn, sql, params);
      conn.release();
      // The answers of START TRANSACTION and COMMIT are the first and the last.
      return (results as unknown[]).slice(1, -1).map(result);
    } catch (e) {
      await rollBack(conn);
      await againAfter(e, attempt);
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

/** Rolls back what a failed batch left open; a connection that cannot is dropped, not reused. */
async function rollBack(conn: PoolConnection): Promise<void> {
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

/** Closes the batch pool of `ds`, if it has one (a later batch opens a new one). */
export async function closeBatches(ds: DataSource): Promise<void> {
  const pool = pools.get(ds);
  if (!pool) return;
  pools.delete(ds);
  await new Promise<void>((resolve, reject) => pool.end((e) => (e ? reject(e) : resolve())));
}
