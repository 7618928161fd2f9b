/**
 * Connections to one of several MySQL/MariaDB servers (a DATABASE_URL naming `host1,host2,...`,
 * typically the nodes of a Galera cluster): each new connection goes to the first server that
 * answers, in the URL's order, so that every center writes through the same node while it is up
 * (writes spread over several Galera nodes only add certification conflicts).
 *
 * A server is set aside for a few seconds when connecting to it fails, when a connection to it is
 * lost, or when it answers that it is not ready (Galera's "WSREP has not yet prepared node for
 * application use", errno 1047): meanwhile new connections go to the next one. When every server
 * is set aside, each is tried again in order, so a cluster that comes back is used at once.
 *
 * What happens to the work that was on a lost connection is the transaction helpers' business
 * (src/db/transaction.ts, src/db/statement-batch.ts): a transaction that lost its connection
 * before COMMIT runs again as a whole on the next server; one that lost it during COMMIT does not,
 * unless it is safe to repeat.
 *
 * Both pools of a center are built here: TypeORM's, through the `driver` option of its MySQL
 * driver (which calls `createPool` and then only `getConnection` and `end`), and the statement
 * batches' own. mysql2's `createPoolCluster` was the other way; it is not used because it answers
 * POOL_NONEONLINE at once while every node is in its penalty time, and it cannot be told that a
 * node answered "not ready" on a connection it handed out.
 */
import * as mysql2 from "mysql2";
import type { Connection, Pool, PoolConnection, PoolOptions, QueryError } from "mysql2";
import { createConnection, type Connection as PromiseConnection, type ConnectionOptions } from "mysql2/promise";
import type { DatabaseHost } from "../config";
import { isNodeNotReady } from "./driver-errors";

/** How long a server that failed is passed over, unless every other one has failed too. */
export const SET_ASIDE_MS = 5_000;

interface Node {
  label: string;
  pool: Pool;
  asideUntil: number;
}

type Callback = (e: NodeJS.ErrnoException | null, conn?: PoolConnection) => void;

/** The slice of mysql2's Pool that TypeORM's MySQL driver and the statement batches use. */
export interface FailoverPool {
  getConnection(cb: Callback): void;
  end(cb?: (e?: unknown) => void): void;
  /** The server (`host:port`) a connection of this pool is open to. */
  serverOf(conn: PoolConnection): string | undefined;
}

const WATCHED = Symbol("failover-watched");

/**
 * A pool over `hosts` (each its own mysql2 pool of `options.connectionLimit`); `session`
 * statements run on every new connection before it is handed out.
 */
export function createFailoverPool(options: PoolOptions, hosts: readonly DatabaseHost[], session: readonly string[]): FailoverPool {
  const owner = new WeakMap<Connection, Node>();
  const nodes: Node[] = hosts.map(({ host, port }) => {
    const pool = mysql2.createPool({ ...options, host, port });
    const node: Node = { label: `${host}:${port}`, pool, asideUntil: 0 };
    pool.on("connection", (conn) => {
      owner.set(conn, node);
      // Queued on the connection before anything its first user sends.
      for (const sql of session) conn.query(sql, (e: QueryError | null) => e && setAside(node));
    });
    return node;
  });
  const setAside = (node: Node) => (node.asideUntil = Date.now() + SET_ASIDE_MS);

  /** Sets the connection's server aside when a statement on it finds the connection lost or the node not ready. */
  const watch = (conn: PoolConnection, node: Node) => {
    const c = conn as PoolConnection & { [WATCHED]?: true };
    if (c[WATCHED]) return;
    c[WATCHED] = true;
    const query = c.query.bind(c) as (...args: unknown[]) => unknown;
    (c as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const last = args.length - 1;
      const cb = args[last];
      if (typeof cb === "function") {
        args[last] = (e: QueryError | null, ...rest: unknown[]) => {
          if (e && (e.fatal || isNodeNotReady(e))) setAside(node);
          (cb as (...a: unknown[]) => void)(e, ...rest);
        };
      }
      return query(...args);
    };
  };

  return {
    getConnection(cb) {
      const now = Date.now();
      const order = [...nodes.filter((n) => n.asideUntil <= now), ...nodes.filter((n) => n.asideUntil > now)];
      const attempt = (i: number, last: NodeJS.ErrnoException | null) => {
        if (i >= order.length) return cb(last);
        const node = order[i];
        node.pool.getConnection((e, conn) => {
          if (e) {
            setAside(node);
            return attempt(i + 1, e);
          }
          watch(conn, node);
          cb(null, conn);
        });
      };
      attempt(0, null);
    },
    end(cb) {
      Promise.all(nodes.map((n) => new Promise<void>((resolve, reject) => n.pool.end((e) => (e ? reject(e) : resolve()))))).then(
        () => cb?.(),
        (e: unknown) => cb?.(e),
      );
    },
    serverOf(conn) {
      return owner.get(conn)?.label;
    },
  };
}

/**
 * What TypeORM's MySQL driver takes as its `driver` option: mysql2, whose `createPool` opens a
 * failover pool over `hosts` (the host and port TypeORM passes are the first of them).
 */
export function failoverDriver(hosts: readonly DatabaseHost[], session: readonly string[]): typeof mysql2 {
  const createPool = (options: PoolOptions) => createFailoverPool(options, hosts, session) as unknown as Pool;
  return { ...mysql2, createPool: createPool as typeof mysql2.createPool };
}

/** One connection (mysql2's promise API) to the first of `hosts` that answers; the last error when none does. */
export async function connectFirst(hosts: readonly DatabaseHost[], options: ConnectionOptions): Promise<PromiseConnection> {
  let last: unknown = new Error("no database host");
  for (const { host, port } of hosts) {
    try {
      return await createConnection({ ...options, host, port });
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
