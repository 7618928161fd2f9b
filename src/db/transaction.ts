/**
 * One transaction per mutation. On MariaDB a deadlock or lock wait time-out (a Galera certification
 * conflict among them), a Galera node that is not ready, or a connection lost before COMMIT rolls
 * the whole unit back and runs it again (on another server when the DATABASE_URL names several;
 * see failover-pool.ts). A connection lost while COMMIT is on its way leaves the outcome unknown:
 * the unit is run again only when its caller says it is safe to repeat (`repeatable`), else the
 * caller gets a CommitOutcomeUnknownError. On SQLite the single connection is shared by the process, so units are
 * queued here (TypeORM would otherwise nest a second one as a savepoint of the first), and the
 * units that queued up while one ran share the next commit (see `runSqliteGroup`).
 */
import type { DataSource, EntityManager } from "typeorm";
import { CommitOutcomeUnknownError, retryCause, retryCounts } from "./driver-errors";

const MAX_ATTEMPTS = 5;
/** SQLite: units run under one commit at most. */
const MAX_GROUP = 64;

interface SqliteUnit {
  work: (em: EntityManager) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(e: unknown): void;
}

/** SQLite: the units waiting for the connection, and whether a drain is under way or scheduled. */
interface SqliteQueue {
  waiting: SqliteUnit[];
  running: boolean;
}

const sqliteQueues = new WeakMap<DataSource, SqliteQueue>();

export function isSqlite(ds: DataSource): boolean {
  return ds.options.type === "better-sqlite3";
}

export interface UnitOptions {
  /**
   * The unit may run twice without harm (every write conditional on the state it changes, or
   * keyed so that a second run fails on the key): it is run again even when the connection was
   * lost during its COMMIT.
   */
  repeatable?: boolean;
}

export async function withTransaction<T>(ds: DataSource, work: (em: EntityManager) => Promise<T>, opts: UnitOptions = {}): Promise<T> {
  if (isSqlite(ds)) {
    let queue = sqliteQueues.get(ds);
    if (queue === undefined) sqliteQueues.set(ds, (queue = { waiting: [], running: false }));
    const done = new Promise<T>((resolve, reject) => queue.waiting.push({ work, resolve: resolve as (v: unknown) => void, reject }));
    if (!queue.running) {
      // The units of this turn of the event loop (say, the claims read from many labs' sockets at
      // once) are gathered before the first runs, so that they share a commit.
      queue.running = true;
      setImmediate(() => void drainSqlite(ds, queue));
    }
    return done;
  }
  for (let attempt = 1; ; attempt++) {
    // Set once the unit's work is done: TypeORM then sends COMMIT.
    let committing = false;
    try {
      return await ds.transaction(async (em) => {
        const value = await work(em);
        committing = true;
        return value;
      });
    } catch (e) {
      await againAfter(e, attempt, committing && !opts.repeatable);
    }
  }
}

/**
 * Work outside a transaction (single autocommitted statements) that is safe to repeat, run again
 * as a unit is: on a deadlock, a lock wait time-out, a Galera node not ready or a lost connection.
 */
export async function repeatOnConflict<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      await againAfter(e, attempt);
    }
  }
}

async function drainSqlite(ds: DataSource, queue: SqliteQueue): Promise<void> {
  try {
    while (queue.waiting.length > 0) await runSqliteGroup(ds, queue.waiting.splice(0, MAX_GROUP));
  } finally {
    queue.running = false;
  }
}

/**
 * SQLite: the units that queued up while the last one ran go under one commit, one after another,
 * as when each had its own transaction: a unit sees what the units before it wrote. Every caller
 * is answered once the commit is done, so a unit's events are still published after its writes
 * are committed. If any unit fails, or the commit does, nothing of the group is written and each
 * unit runs again in a transaction of its own, as it would have without the group, and gets its
 * own outcome (units may run more than once, as on MariaDB after a deadlock).
 *
 * A commit writes the pages the group changed to the write-ahead log once: under load (labs
 * claiming and completing at once) most of a unit's cost on SQLite was its own commit.
 */
async function runSqliteGroup(ds: DataSource, group: SqliteUnit[]): Promise<void> {
  if (group.length > 1) {
    const values: unknown[] = [];
    const together = await ds
      .transaction(async (em) => {
        for (const unit of group) values.push(await unit.work(em));
      })
      .then(
        () => true,
        () => false,
      );
    if (together) {
      group.forEach((unit, i) => unit.resolve(values[i]));
      return;
    }
  }
  for (const unit of group) await ds.transaction(unit.work).then(unit.resolve, unit.reject);
}

/**
 * Rethrows `e` unless running the unit again may succeed (see retryCause) and attempts are left;
 * else counts the retry and waits a short randomised pause, so that the two sides of a deadlock
 * do not collide again. `committing`: the unit's COMMIT was on its way, so a lost connection
 * leaves it perhaps committed: that is not retried but reported as CommitOutcomeUnknownError.
 */
export async function againAfter(e: unknown, attempt: number, committing = false): Promise<void> {
  const cause = retryCause(e);
  if (cause === null || attempt >= MAX_ATTEMPTS) throw e;
  if (committing && cause === "connection_lost") throw new CommitOutcomeUnknownError(e);
  retryCounts[cause]++;
  await new Promise((r) => setTimeout(r, Math.min(200, 10 * 2 ** attempt) * Math.random()));
}

/** Kept here for the callers that still import it from the transaction helper; its home is driver-errors.ts. */
export { isUniqueViolation } from "./driver-errors";

/**
 * One hand-written statement (`?` placeholders on both engines) through the transaction's query
 * runner: logged and counted as any other. Used where the query builder's work per statement
 * shows in the hottest paths (a lab's claim and completion); the rows come back raw.
 */
export async function runSql(em: EntityManager, sql: string, params: unknown[]): Promise<RawResult> {
  const runner = em.queryRunner;
  if (!runner) throw new Error("runSql needs a transaction's entity manager");
  return raw(await runner.query(sql, params, true));
}

type RawResult = { affected: number; rows: Array<Record<string, unknown>> };

/** `?, ?, ...`: n placeholders for a hand-written statement. */
export function placeholders(n: number): string {
  return Array(n).fill("?").join(", ");
}

function raw(r: { affected?: number; records?: unknown }): RawResult {
  return { affected: r.affected ?? 0, rows: Array.isArray(r.records) ? (r.records as Array<Record<string, unknown>>) : [] };
}

/**
 * One hand-written statement on its own connection, outside any transaction (MySQL/MariaDB, whose
 * autocommit makes a single statement atomic): no BEGIN and COMMIT round trips around it. Run
 * again, like a transaction, when InnoDB picks it as a deadlock's victim. A read (SELECT) is run
 * again on a lost connection too; a write whose connection was lost may have committed, so it is
 * not. Logged and counted as any other statement.
 */
export async function runSqlAlone(ds: DataSource, sql: string, params: unknown[]): Promise<RawResult> {
  if (isSqlite(ds)) throw new Error("runSqlAlone is for MySQL/MariaDB (SQLite queues its writers in transactions)");
  const read = /^\s*SELECT\b/i.test(sql);
  for (let attempt = 1; ; attempt++) {
    const runner = ds.createQueryRunner();
    let sent = false;
    try {
      await runner.connect();
      sent = true;
      return raw(await runner.query(sql, params, true));
    } catch (e) {
      await againAfter(e, attempt, sent && !read);
    } finally {
      await runner.release();
    }
  }
}
