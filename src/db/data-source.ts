/**
 * The TypeORM data source for either engine. Migrations run at start; `synchronize` is never used.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from "typeorm";
import type { DatabaseConfig } from "../config";
import { migrations } from "./migrations";
import { CountingLogger } from "./query-counter";

/** The entity classes the data source maps; the list is the application's (see src/entities.ts), not this folder's. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

export function dataSourceOptions(db: DatabaseConfig, opts: { entities: EntityList; poolSize?: number }): DataSourceOptions {
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

/** Opens the database (creating the SQLite folder if needed) and brings its schema up to date. */
export async function openDataSource(db: DatabaseConfig, opts: { entities: EntityList; poolSize?: number; migrate?: boolean }): Promise<DataSource> {
  if (db.type === "sqlite" && db.path !== ":memory:") fs.mkdirSync(path.dirname(db.path), { recursive: true });
  const ds = new DataSource(dataSourceOptions(db, opts));
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
