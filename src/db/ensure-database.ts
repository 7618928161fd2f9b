/**
 * A MariaDB/MySQL database named by DATABASE_URL that does not exist yet is created (utf8mb4) when
 * the account may; when it may not, the error says what to run. SQLite files are created on open.
 */
import type { DatabaseConfig } from "../config";
import { connectFirst } from "./failover-pool";

export class DatabaseSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseSetupError";
  }
}

/** Creates the database if it is missing; answers whether it did. */
export async function ensureDatabase(db: DatabaseConfig): Promise<boolean> {
  if (db.type !== "mysql") return false;
  const server = `${db.user}@${db.socketPath ?? db.hosts.map((h) => `${h.host}:${h.port}`).join(",")}`;
  let conn;
  try {
    // The first of the URL's hosts that answers (all the nodes of a cluster hold the same databases).
    conn = await connectFirst(db.hosts, { ...(db.socketPath ? { socketPath: db.socketPath } : {}), user: db.user, password: db.password });
  } catch (e) {
    throw new DatabaseSetupError(`cannot connect to the database server as ${server}: ${(e as Error).message}`);
  }
  try {
    const rows = (await conn.query("SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = ?", [db.database]))[0] as unknown[];
    if (rows.length > 0) return false;
    const name = "`" + db.database.replace(/`/g, "``") + "`";
    try {
      await conn.query(`CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } catch (e) {
      const code = (e as { code?: string }).code ?? "";
      if (code === "ER_DBACCESS_DENIED_ERROR" || code === "ER_ACCESS_DENIED_ERROR" || code === "ER_SPECIFIC_ACCESS_DENIED_ERROR") {
        throw new DatabaseSetupError(
          `the database ${db.database} does not exist and ${db.user} may not create it. As a database administrator, run:\n` +
            `  CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n` +
            `  GRANT ALL PRIVILEGES ON ${name}.* TO '${db.user}'@'%';`,
        );
      }
      throw e;
    }
    return true;
  } finally {
    await conn.end();
  }
}
