/**
 * The addresses of the servers the center connects to, read from the environment by src/config.ts:
 * DATABASE_URL (SQLite, or MySQL/MariaDB at one or several hosts) and Redis (a URL, or the master
 * a group of Sentinels names). Each fault names its variable; secrets in a URL are never echoed.
 */
import * as path from "node:path";

export type DatabaseConfig =
  | { type: "sqlite"; path: string; url: string }
  | {
      type: "mysql";
      url: string;
      /** The first of `hosts` (the one a single-address URL names). */
      host: string;
      port: number;
      /**
       * Every server the URL names, in its order: connections go to the first that answers, and to
       * the next while one is away (src/db/failover-pool.ts). One entry for a single (perhaps
       * load-balanced) address.
       */
      hosts: DatabaseHost[];
      user: string;
      password: string;
      database: string;
      socketPath?: string;
      /**
       * `wsrep_sync_wait` set on every connection when the server is a Galera node (DATABASE_SYNC_WAIT;
       * 0 sets nothing): 1 makes a read wait until the node has applied what the cluster committed
       * before it, so a read after a write made through another node sees it.
       */
      syncWait: number;
    };

export interface DatabaseHost {
  host: string;
  port: number;
}

/** A Redis server by URL, or the master a group of Sentinels names (failed over by them). */
export type RedisTarget = { url: string } | { sentinels: Array<{ host: string; port: number }>; name: string };

export function parseDatabaseUrl(raw: string, faults: string[]): DatabaseConfig {
  if (raw.startsWith("sqlite:")) {
    const p = raw.slice("sqlite:".length);
    if (p === "") {
      faults.push('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/printmesh.sqlite');
    }
    return { type: "sqlite", path: p === ":memory:" ? p : path.resolve(p || "./data/printmesh.sqlite"), url: raw };
  }
  if (raw.startsWith("mysql://") || raw.startsWith("mariadb://")) {
    // Parsed by hand: the WHATWG URL parser refuses an authority naming several hosts.
    const m = /^(?:mysql|mariadb):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(raw);
    if (m === null) {
      faults.push(`DATABASE_URL is not a valid URL: "${redact(raw)}"`);
      return { type: "sqlite", path: "", url: "" };
    }
    const [, userinfo = "", authority, pathname = "", search = ""] = m;
    const colon = userinfo.indexOf(":");
    let user = "root";
    let password = "";
    let database = "";
    try {
      user = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || "root";
      password = colon < 0 ? "" : decodeURIComponent(userinfo.slice(colon + 1));
      database = decodeURIComponent(pathname.replace(/^\//, ""));
    } catch {
      faults.push(`DATABASE_URL has a badly percent-encoded user, password or database name: "${redact(raw)}"`);
    }
    const hosts = parseHosts(authority, raw, faults);
    if (hosts.length === 0 || !database) {
      faults.push(`DATABASE_URL must name a host and a database, e.g. mysql://user:pass@127.0.0.1:3306/printmesh, got "${redact(raw)}"`);
    }
    // ?socket=/run/mysqld/mysqld.sock: a server on this machine through its Unix socket (cheaper
    // per statement than TCP over loopback); the host then only names the server in messages.
    const params = new URLSearchParams(search);
    const unknown = [...params.keys()].filter((k) => k !== "socket");
    if (unknown.length > 0) faults.push(`DATABASE_URL has unknown options ${unknown.join(", ")} (known: socket), got "${redact(raw)}"`);
    const socketPath = params.get("socket");
    if (socketPath !== null && !path.isAbsolute(socketPath)) faults.push(`DATABASE_URL socket must be an absolute path, got "${socketPath}"`);
    if (socketPath !== null && hosts.length > 1)
      faults.push(`DATABASE_URL socket names one server on this machine: it cannot go with several hosts, got "${redact(raw)}"`);
    const first = hosts[0] ?? { host: "", port: 3306 };
    return {
      type: "mysql",
      url: raw,
      host: first.host,
      port: first.port,
      hosts,
      user,
      password,
      database,
      ...(socketPath ? { socketPath } : {}),
      syncWait: 1,
    };
  }
  faults.push(`DATABASE_URL must start with sqlite: or mysql://, got "${redact(raw)}"`);
  return { type: "sqlite", path: "", url: "" };
}

/**
 * The hosts of a DATABASE_URL's authority: `host[:port]` entries separated by commas (`[::1]:3306`
 * for an IPv6 address); the port defaults to 3306. A host named twice is a mistake, not a spare.
 */
function parseHosts(authority: string, raw: string, faults: string[]): DatabaseHost[] {
  if (authority === "") return [];
  const hosts: DatabaseHost[] = [];
  for (const entry of authority.split(",")) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d*))?$/.exec(entry);
    const port = m?.[2] ? Number(m[2]) : 3306;
    if (m === null || m[2] === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
      faults.push(`DATABASE_URL hosts must be host or host:port (port 1-65535), separated by commas; "${entry}" is not, in "${redact(raw)}"`);
      continue;
    }
    const host = m[1].startsWith("[") ? m[1].slice(1, -1) : m[1].toLowerCase();
    if (hosts.some((h) => h.host === host && h.port === port)) {
      faults.push(`DATABASE_URL names ${entry} twice, in "${redact(raw)}"`);
      continue;
    }
    hosts.push({ host, port });
  }
  return hosts;
}

/** Hides the password of a URL so that it can be shown in a message or a log. */
/**
 * REDIS_URL, or REDIS_SENTINELS (host:port, comma-separated) with REDIS_SENTINEL_NAME (the master's
 * name the Sentinels monitor): one way or the other, not both.
 */
export function parseRedisTarget(url: string | null, sentinelsRaw: string | undefined, name: string | undefined, faults: string[]): RedisTarget | null {
  if (sentinelsRaw === undefined && name === undefined) return url === null ? null : { url };
  if (url !== null) {
    faults.push("REDIS_URL cannot be set together with REDIS_SENTINELS or REDIS_SENTINEL_NAME: name Redis one way");
    return null;
  }
  if (sentinelsRaw === undefined || name === undefined) {
    faults.push(
      `${sentinelsRaw === undefined ? "REDIS_SENTINELS" : "REDIS_SENTINEL_NAME"} is needed with ${sentinelsRaw === undefined ? "REDIS_SENTINEL_NAME" : "REDIS_SENTINELS"}: the Sentinels (host:port list) and the master's name go together`,
    );
    return null;
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name)) faults.push(`REDIS_SENTINEL_NAME must be a master name of letters, digits, ".", "_" or "-", got "${name}"`);
  const sentinels: Array<{ host: string; port: number }> = [];
  for (const entry of sentinelsRaw.split(",").map((e) => e.trim())) {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      faults.push(`REDIS_SENTINELS must be a comma-separated list of host:port (e.g. sentinel-1:26379,sentinel-2:26379), got "${entry}"`);
      return null;
    }
    sentinels.push({ host: m[1].replace(/^\[|\]$/g, ""), port });
  }
  return { sentinels, name };
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
}
