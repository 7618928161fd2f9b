/**
 * The mysql2 settings of TypeORM's connections, read from the data source's options. A pool the
 * center opens beside TypeORM's (the statement batches) connects to the same server the same way:
 * the same text (charset), instants (time zone) and integers (big numbers as strings), with no
 * setting copied by hand.
 */
import type { ConnectionOptions } from "mysql2";
import type { MysqlDataSourceOptions } from "typeorm/driver/mysql/MysqlDataSourceOptions";

/** mysql2 connection options as TypeORM's MySQL driver builds them from `o` (defaults included). */
export function mysqlConnectionOptions(o: MysqlDataSourceOptions): ConnectionOptions {
  return {
    host: o.host,
    port: o.port,
    ...(o.socketPath ? { socketPath: o.socketPath } : {}),
    user: o.username,
    password: o.password,
    database: o.database,
    ...(o.ssl !== undefined ? { ssl: o.ssl as ConnectionOptions["ssl"] } : {}),
    ...(o.connectTimeout !== undefined ? { connectTimeout: o.connectTimeout } : {}),
    charset: o.charset,
    timezone: o.timezone,
    // TypeORM's defaults: BIGINT comes back as a string, so nothing is rounded.
    supportBigNumbers: o.supportBigNumbers ?? true,
    bigNumberStrings: o.bigNumberStrings ?? true,
    ...(o.dateStrings !== undefined ? { dateStrings: o.dateStrings as ConnectionOptions["dateStrings"] } : {}),
    trace: o.trace,
    stringifyObjects: true,
  };
}
