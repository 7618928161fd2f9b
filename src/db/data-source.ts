/**
 * The TypeORM data source for either engine. Migrations run at start; `synchronize` is never used.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from "typeorm";
import type { DatabaseConfig } from "../config";
import { connectFirst, failoverDriver } from "./failover-pool";
import { migrations } from "./migrations";
import { CountingLogger } from "./query-counter";

/** The entity classes the data source maps; the list is the application's (see src/entities.ts), not this folder's. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

/**
 * `session`: statements every MySQL/MariaDB connection runs when it opens (see `sessionStatements`;
 * none unless given).
 */
export function dataSourceOptions(db: DatabaseConfig, opts: { entities: EntityList; poolSize?: number; session?: readonly string[] }): DataSourceOptions {
  const common = { entities: opts.entities, migrations, synchronize: false, migrationsRun: false, logger: new CountingLogger() } as const;
  if (db.type === "sqlite") {
    return {
      ...common,
      type: "better-sqlite3",
      database: db.path,
      enableWAL: db.path !== ":memory:",
      // Waits for a lock held by another process (the import CLI, say) instead of failing at once.
      timeout: 10000,
      prepareDatabase: (raw: { pragma(s: string): unknown }) => {
        raw.pragma("foreign_keys = ON");
        raw.pragma("synchronous = NORMAL");
      },
    };
  }
  return {
    ...common,
    type: "mysql",
    // mysql2, whose pools connect to the first of the URL's hosts that answers (failover-pool.ts).
    driver: failoverDriver(db.hosts, opts.session ?? []),
    host: db.host,
    port: db.port,
    ...(db.socketPath ? { socketPath: db.socketPath } : {}),
    username: db.user,
    password: db.password,
    database: db.database,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: true,
    poolSize: opts.poolSize ?? 20,
    // mysql2 would capture a stack trace for every query (for its error reports): a measurable
    // share of the CPU per statement; TypeORM's own errors already name the query.
    trace: false,
  };
}

/**
 * What every MySQL/MariaDB connection of the center sets when it opens, found once at start on the
 * first server that answers. On a Galera node (`@@wsrep_on`), `wsrep_sync_wait` (DATABASE_SYNC_WAIT,
 * 1 by default: reads wait until the node has applied every write the cluster committed before
 * they began), so a read right after a write made through another node (another center, or this
 * one before a failover) sees it. Nothing on a server without Galera, or with DATABASE_SYNC_WAIT=0.
 */
export async function sessionStatements(db: DatabaseConfig): Promise<string[]> {
  if (db.type !== "mysql" || db.syncWait === 0) return [];
  const conn = await connectFirst(db.hosts, { ...(db.socketPath ? { socketPath: db.socketPath } : {}), user: db.user, password: db.password });
  try {
    const [rows] = await conn.query("SHOW VARIABLES LIKE 'wsrep_on'");
    const on = (rows as Array<{ Value: string }>)[0]?.Value === "ON";
    return on ? [`SET SESSION wsrep_sync_wait = ${db.syncWait}`] : [];
  } finally {
    await conn.end();
  }
}

/** Opens the database (creating the SQLite folder if needed) and brings its schema up to date. */
export async function openDataSource(db: DatabaseConfig, opts: { entities: EntityList; poolSize?: number; migrate?: boolean }): Promise<DataSource> {
  if (db.type === "sqlite" && db.path !== ":memory:") fs.mkdirSync(path.dirname(db.path), { recursive: true });
  const ds = new DataSource(dataSourceOptions(db, { ...opts, session: await sessionStatements(db) }));
  await ds.initialize();
  if (opts.migrate !== false) {
    try {
      await ds.runMigrations({ transaction: "each" });
    } catch (e) {
      await ds.destroy();
      throw e;
    }
  }
  return ds;
}
