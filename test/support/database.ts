/**
 * A fresh, migrated database for each test file: a temporary SQLite file by default, or, when
 * DATABASE_URL names MariaDB/MySQL, a scratch database of its own (one per jest worker and file, so
 * that parallel workers never share tables).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createConnection } from "mysql2/promise";
import type { DataSource } from "typeorm";
import { loadConfig, type DatabaseConfig } from "../../src/config";
import { openDatabase } from "../../src/entities";

let counter = 0;

export interface TestDatabase {
  db: DatabaseConfig;
  /** A DATABASE_URL for child processes (the CLI, a second center). */
  url: string;
  drop(): Promise<void>;
}

export function usingMysql(): boolean {
  return (process.env.DATABASE_URL ?? "").startsWith("mysql://");
}

export async function createTestDatabase(): Promise<TestDatabase> {
  counter += 1;
  const worker = process.env.JEST_WORKER_ID ?? "0";
  if (!usingMysql()) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-test-"));
    const file = path.join(dir, "test.sqlite");
    return {
      db: { type: "sqlite", path: file, url: `sqlite:${file}` },
      url: `sqlite:${file}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const base = loadConfig({ DATABASE_URL: process.env.DATABASE_URL, JWT_SECRET: "x".repeat(32) }).database;
  if (base.type !== "mysql") throw new Error("unreachable");
  const name = `${base.database}_w${worker}_${process.pid}_${counter}`.slice(0, 64);
  const admin = await createConnection({
    host: base.host,
    port: base.port,
    ...(base.socketPath ? { socketPath: base.socketPath } : {}),
    user: base.user,
    password: base.password,
  });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const u = new URL(base.url);
  u.pathname = "/" + name;
  const db: DatabaseConfig = { ...base, database: name, url: u.toString() };
  return {
    db,
    url: u.toString(),
    drop: async () => {
      const c = await createConnection({
        host: base.host,
        port: base.port,
        ...(base.socketPath ? { socketPath: base.socketPath } : {}),
        user: base.user,
        password: base.password,
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** A fresh database, migrated, with its data source open. */
export async function openTestDatabase(): Promise<{ ds: DataSource; test: TestDatabase; close(): Promise<void> }> {
  const test = await createTestDatabase();
  const ds = await openDatabase(test.db, { poolSize: 5 });
  return {
    ds,
    test,
    close: async () => {
      if (ds.isInitialized) await ds.destroy();
      await test.drop();
    },
  };
}
