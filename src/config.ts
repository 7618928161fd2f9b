/**
 * The only place that reads the environment. Every variable is parsed and checked here, once, at
 * start; a bad value stops the center with a message that names the variable (the contract's
 * configuration table, plus the project's own settings below it).
 */
import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isValidTimeZone } from "./pricing/business-date";
import { parseDatabaseUrl, parseRedisTarget, redact, type DatabaseConfig, type RedisTarget } from "./connection-urls";

export { redact, type DatabaseConfig, type DatabaseHost, type RedisTarget } from "./connection-urls";

export interface Config {
  env: "development" | "production" | "test";
  database: DatabaseConfig;
  port: number;
  host: string;
  redisUrl: string | null;
  /** Where the center's Redis is: REDIS_URL, or the master REDIS_SENTINEL_NAME through REDIS_SENTINELS; null: none (in-process). */
  redis: RedisTarget | null;
  jwtSecret: Uint8Array;
  /**
   * Keys the HMAC-SHA-256 stored for lab keys: KEY_HASH_SECRET, or derived from the JWT secret.
   * Every process of an installation needs the same; changing it invalidates the stored keys.
   */
  keyHashSecret: Uint8Array;
  /** Where the embedded database, the generated secret and stored images live. */
  dataDir: string;
  businessTimeZone: string;
  printJobLeaseSeconds: number;
  /** A job that has been tried this many times (failures and lost leases) fails for good. */
  printJobMaxAttempts: number;
  /** An item whose image prints below this many dots per inch on its service's size is flagged LOW_RESOLUTION. */
  printMinDpi: number;
  /** When a confirmed order is due: this many hours after confirmation, per fulfilment speed. */
  printDueHours: { standard: number; express: number };
  demoData: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** The browser IDE at GET /graphql; off in production unless asked for. */
  ide: boolean;
  introspection: boolean;
  /**
   * Tests and diagnosis only: each plain HTTP request the center's own runner answers is answered
   * by Apollo's pipeline too and the two answers compared (src/graphql/http-differential.ts).
   */
  httpDifferential: boolean;
  /**
   * Who answers a plain POST to /graphql: `center`, the center's own runner (http-operations.ts),
   * or `apollo`, Apollo's pipeline only (to compare the two: `npm run bench:transport`).
   */
  httpLane: "center" | "apollo";
  sessionTtlSeconds: number;
  limits: { maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number };
  /**
   * Login attempts within the window before RATE_LIMITED: `attempts` per login and address,
   * `perLogin` per login from all addresses together, `perAddress` per address over all logins.
   */
  loginRateLimit: { attempts: number; perLogin: number; perAddress: number; windowSeconds: number };
  /** Bad lab keys (unknown or wrong) one address may send within the window before its keys are refused unchecked. */
  badKeyRateLimit: { attempts: number; windowSeconds: number };
  /** A quote older than this must be re-quoted before it is confirmed (QUOTE_EXPIRED). */
  quoteTtlSeconds: number;
  /** Lab load reports older than this count as unknown when ranking labs. */
  loadMaxAgeSeconds: number;
  /**
   * How long Redis, once answering, may be away before /readyz counts this center not ready
   * (0: at once). A Redis failover takes every center's Redis away together; taking them all out
   * of the load balancer for it would stop the service while the database, the truth, is there.
   */
  redisReadyGraceSeconds: number;
  /** A lab counts as online while its daemon is connected and for this long after. */
  labOnlineGraceSeconds: number;
  /** Lab load reports (the time series) older than this many days are pruned; the latest load on the labs row stays. */
  labLoadRetentionDays: number;
  /** A shoot's images are removed this many whole days after its availableUntil (see shoots/retention.ts). */
  shootRetentionDays: number;
  /** The shop's admins are told this many days before a shoot's images are removed. */
  shootRetirementNoticeDays: number;
  /** Lab-ranking weights (partial; the rest are the defaults). */
  assignmentWeights: Record<string, number>;
  /**
   * Who may read GET /metrics. `token`: a bearer token it requires. `port`: a listener of its own
   * (on `host`), and then /metrics is not served on the public port. `onPublicPort`: served on
   * the public port (in production only behind a token: neither variable set means no metrics).
   */
  metrics: { token: string | null; port: number | null; host: string; onPublicPort: boolean };
  /** Image uploads: pixel cap, per-user quota per window, concurrent decodes and their queue. */
  images: {
    maxBytes: number;
    maxPixels: number;
    uploadsPerWindow: number;
    bytesPerWindow: number;
    windowSeconds: number;
    decodeConcurrency: number;
    decodeQueue: number;
  };
  /** What one WebSocket (graphql-ws) may hold, and what serves the protocol. */
  ws: WsConfig;
  /**
   * CORS_ORIGINS: the origins (`scheme://host[:port]`, exactly as a browser sends them) whose pages
   * may call /graphql and /images; empty: no cross-origin allowance at all.
   */
  corsOrigins: string[];
  /** PUBLIC_CATALOG: anonymous callers may read shops, services, what a shop offers, and quote at now. */
  publicCatalog: boolean;
  /** CUSTOMER_SIGNUP: registerCustomer is open. */
  customerSignup: boolean;
  /** Sign-ups one address may make per window (registerCustomer), counted before the password is hashed. */
  signupRateLimit: { attempts: number; windowSeconds: number };
  /** Failed gallery look-ups (unknown, expired or closed access codes) one address may make per window before RATE_LIMITED. */
  accessCodeRateLimit: { attempts: number; windowSeconds: number };
  /** PAYMENT_WEBHOOK_SECRET: the secret that signs the payment gateway's webhooks; null: gateway payments off. */
  paymentWebhookSecret: string | null;
  /**
   * PAYMENT_TEST_MODE: a customer's gateway payment can be completed by the center itself, which
   * sends its own webhook a correctly signed succeeded event (development and tests only; refused
   * with NODE_ENV=production).
   */
  paymentTestMode: boolean;
  /** PAYMENT_RECONCILE_MINUTES: a payment still PENDING this long is reported to its shop's admins (once). */
  paymentReconcileMinutes: number;
  /** FTP ingest for capture devices (FTP_PORT); null: off. */
  ftp: FtpConfig | null;
}

export interface FtpConfig {
  /** The control port (0: any free port, for tests); it listens on `host`, as HTTP does. */
  port: number;
  /** The IPv4 address PASV answers name (EPSV names only a port). */
  pasvHost: string;
  /** The ports passive data connections are taken from, inclusive. */
  pasvPorts: { min: number; max: number };
  /** Explicit FTPS (AUTH TLS) with these PEM files; null: plain FTP only. */
  tls: { certFile: string; keyFile: string } | null;
}

export interface WsConfig {
  /** Open sockets per credential (a lab key, or a user's sessions together); one more is closed with 1008. */
  maxSocketsPerCredential: number;
  /** Operations in flight on one socket, its subscriptions included; one more is refused with TOO_MANY_OPERATIONS. */
  maxOperations: number;
  /** Subscriptions on one socket; one more is refused with TOO_MANY_SUBSCRIPTIONS. */
  maxSubscriptions: number;
  /** Unsent bytes on a socket beyond which its sends wait for their writes and the socket is not read. */
  sendBufferBytes: number;
  /** A socket whose unsent output stays beyond sendBufferBytes this long is closed (1008). */
  sendStallMs: number;
  /** `center`: the center's transport (ws-transport.ts); `library`: graphql-ws's own useServer, to compare. */
  lane: "center" | "library";
}

export class ConfigError extends Error {
  constructor(readonly faults: string[]) {
    super(`Invalid configuration:\n  - ${faults.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const faults: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      faults.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return dflt;
    }
    return Number(raw);
  };
  const bool = (name: string, dflt: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return dflt;
    if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
    if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
    faults.push(`${name} must be 1 or 0 (true/false), got "${raw}"`);
    return dflt;
  };

  const nodeEnv = get("NODE_ENV") ?? "development";
  if (!["development", "production", "test"].includes(nodeEnv)) {
    faults.push(`NODE_ENV must be development, production or test, got "${nodeEnv}"`);
  }
  const production = nodeEnv === "production";

  const dataDir = path.resolve(get("DATA_DIR") ?? "./data");
  const database = parseDatabaseUrl(get("DATABASE_URL") ?? "sqlite:./data/printmesh.sqlite", faults);
  const syncWait = int("DATABASE_SYNC_WAIT", 1, 0, 15);
  if (database.type === "mysql") database.syncWait = syncWait;

  const port = int("PORT", 4000, 0, 65535);
  const host = get("HOST") ?? "127.0.0.1";

  const redisUrl = get("REDIS_URL") ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    faults.push(`REDIS_URL must be a redis:// or rediss:// URL, got "${redact(redisUrl)}"`);
  }
  const redis = parseRedisTarget(redisUrl, get("REDIS_SENTINELS"), get("REDIS_SENTINEL_NAME"), faults);

  const businessTimeZone = get("BUSINESS_TIMEZONE") ?? "UTC";
  if (!isValidTimeZone(businessTimeZone)) {
    faults.push(`BUSINESS_TIMEZONE must be an IANA time zone such as UTC or Asia/Tokyo, got "${businessTimeZone}"`);
  }

  const paymentWebhookSecret = get("PAYMENT_WEBHOOK_SECRET") ?? null;
  // It settles payments nobody made: never where real customers pay.
  const paymentTestMode = bool("PAYMENT_TEST_MODE", false);
  if (paymentTestMode && production) {
    faults.push("PAYMENT_TEST_MODE completes gateway payments without the gateway: it cannot be on with NODE_ENV=production");
  } else if (paymentTestMode && paymentWebhookSecret === null) {
    faults.push("PAYMENT_TEST_MODE needs PAYMENT_WEBHOOK_SECRET: its webhooks are signed with it, as the gateway's are");
  }

  const printJobLeaseSeconds = int("PRINT_JOB_LEASE_SECONDS", 600, 1, 7 * 24 * 3600);
  const printJobMaxAttempts = int("PRINT_JOB_MAX_ATTEMPTS", 5, 1, 100);
  const printMinDpi = int("PRINT_MIN_DPI", 200, 1, 2400);
  const printDueHours = { standard: int("PRINT_DUE_HOURS", 48, 1, 24 * 365), express: int("PRINT_DUE_HOURS_EXPRESS", 4, 1, 24 * 365) };

  const demoRaw = get("DEMO_DATA");
  // A production center never opens with the published demo logins unless asked to, explicitly.
  let demoData = database.type === "sqlite" && !production;
  if (demoRaw !== undefined) {
    if (demoRaw === "1") demoData = true;
    else if (demoRaw === "0") demoData = false;
    else faults.push(`DEMO_DATA must be 1 or 0, got "${demoRaw}"`);
  }

  const logLevel = (get("LOG_LEVEL") ?? (nodeEnv === "test" ? "silent" : "info")) as Config["logLevel"];
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    faults.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${logLevel}"`);
  }

  const jwtRaw = get("JWT_SECRET");
  if (jwtRaw !== undefined && jwtRaw.length < 32) {
    faults.push("JWT_SECRET must be at least 32 characters long");
  }
  const keyHashRaw = get("KEY_HASH_SECRET");
  if (keyHashRaw !== undefined && keyHashRaw.length < 32) {
    faults.push("KEY_HASH_SECRET must be at least 32 characters long");
  }
  const loginAttempts = int("LOGIN_RATE_LIMIT", 10, 1, 10000);

  const weightsRaw = get("ASSIGNMENT_WEIGHTS");
  let assignmentWeights: Record<string, number> = {};
  if (weightsRaw !== undefined) {
    try {
      const parsed: unknown = JSON.parse(weightsRaw);
      if (
        typeof parsed !== "object" ||
        parsed === null ||
        Array.isArray(parsed) ||
        !Object.values(parsed).every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0)
      ) {
        throw new Error("not an object of non-negative numbers");
      }
      assignmentWeights = parsed as Record<string, number>;
    } catch {
      faults.push(`ASSIGNMENT_WEIGHTS must be a JSON object of non-negative numbers, e.g. {"distancePerKm":1,"load":200}`);
    }
  }

  const metricsToken = get("METRICS_TOKEN") ?? null;
  if (metricsToken !== null && (metricsToken.length < 16 || /\s/.test(metricsToken))) {
    faults.push("METRICS_TOKEN must be at least 16 characters without spaces");
  }
  const metricsPortRaw = get("METRICS_PORT");
  const metricsPort = metricsPortRaw === undefined ? null : int("METRICS_PORT", 0, 0, 65535);
  const metricsHost = get("METRICS_HOST") ?? "127.0.0.1";
  const httpLane = get("GRAPHQL_HTTP_LANE") ?? "center";
  if (httpLane !== "center" && httpLane !== "apollo") faults.push(`GRAPHQL_HTTP_LANE must be center or apollo, got "${httpLane}"`);
  const corsOrigins = parseOrigins(get("CORS_ORIGINS"), faults);
  const wsLane = get("GRAPHQL_WS_LANE") ?? "center";
  if (wsLane !== "center" && wsLane !== "library") faults.push(`GRAPHQL_WS_LANE must be center or library, got "${wsLane}"`);

  const ftp = parseFtp(get, int, host, faults);

  const config: Config = {
    env: nodeEnv as Config["env"],
    database,
    port,
    host,
    redisUrl,
    redis,
    jwtSecret: new Uint8Array(),
    keyHashSecret: new Uint8Array(),
    dataDir,
    businessTimeZone,
    printJobLeaseSeconds,
    printJobMaxAttempts,
    printMinDpi,
    printDueHours,
    demoData,
    logLevel,
    ide: bool("GRAPHQL_IDE", !production),
    introspection: bool("GRAPHQL_INTROSPECTION", !production),
    httpDifferential: bool("GRAPHQL_HTTP_DIFFERENTIAL", false),
    httpLane: httpLane as Config["httpLane"],
    sessionTtlSeconds: int("SESSION_TTL_SECONDS", 12 * 3600, 60, 30 * 24 * 3600),
    limits: {
      maxDepth: int("GRAPHQL_MAX_DEPTH", 12, 2, 100),
      maxAliases: int("GRAPHQL_MAX_ALIASES", 30, 1, 1000),
      maxCost: int("GRAPHQL_MAX_COST", 20000, 100, 10_000_000),
      maxTokens: int("GRAPHQL_MAX_TOKENS", 5000, 100, 1_000_000),
    },
    loginRateLimit: {
      attempts: loginAttempts,
      perLogin: int("LOGIN_RATE_LIMIT_GLOBAL", loginAttempts * 10, 1, 1_000_000),
      perAddress: loginAttempts * 5,
      windowSeconds: int("LOGIN_RATE_WINDOW_SECONDS", 300, 1, 86400),
    },
    badKeyRateLimit: {
      attempts: int("BAD_KEY_RATE_LIMIT", 30, 1, 1_000_000),
      windowSeconds: int("BAD_KEY_RATE_WINDOW_SECONDS", 60, 1, 86400),
    },
    quoteTtlSeconds: int("QUOTE_TTL_SECONDS", 900, 1, 30 * 24 * 3600),
    loadMaxAgeSeconds: int("LOAD_MAX_AGE_SECONDS", 600, 1, 7 * 24 * 3600),
    redisReadyGraceSeconds: int("REDIS_READY_GRACE_SECONDS", 60, 0, 3600),
    labOnlineGraceSeconds: int("LAB_ONLINE_GRACE_SECONDS", 90, 0, 24 * 3600),
    labLoadRetentionDays: int("LAB_LOAD_RETENTION_DAYS", 30, 1, 36500),
    shootRetentionDays: int("SHOOT_RETENTION_DAYS", 90, 0, 36500),
    shootRetirementNoticeDays: int("SHOOT_RETIREMENT_NOTICE_DAYS", 7, 0, 3650),
    assignmentWeights,
    metrics: { token: metricsToken, port: metricsPort, host: metricsHost, onPublicPort: metricsPort === null && (metricsToken !== null || !production) },
    ws: {
      maxSocketsPerCredential: int("WS_MAX_SOCKETS_PER_CREDENTIAL", 10, 1, 100_000),
      maxOperations: int("WS_MAX_OPERATIONS", 100, 1, 100_000),
      maxSubscriptions: int("WS_MAX_SUBSCRIPTIONS", 10, 1, 100_000),
      sendBufferBytes: int("WS_SEND_BUFFER_BYTES", 256 * 1024, 16 * 1024, 1024 * 1024 * 1024),
      sendStallMs: int("WS_SEND_STALL_SECONDS", 30, 1, 3600) * 1000,
      lane: wsLane as WsConfig["lane"],
    },
    images: {
      maxBytes: int("IMAGE_MAX_BYTES", 50 * 1024 * 1024, 1, 1024 * 1024 * 1024),
      // libvips' own cap is 268 MP; a 100 MP decode already needs some 300 MB of pixels.
      maxPixels: int("IMAGE_MAX_PIXELS", 100_000_000, 1, 0x3fff * 0x3fff),
      uploadsPerWindow: int("UPLOAD_RATE_LIMIT", 120, 1, 1_000_000),
      bytesPerWindow: int("UPLOAD_BUDGET_MIB", 2048, 1, 1024 * 1024) * 1024 * 1024,
      windowSeconds: int("UPLOAD_WINDOW_SECONDS", 3600, 1, 7 * 24 * 3600),
      decodeConcurrency: int("IMAGE_DECODE_CONCURRENCY", 2, 1, 64),
      decodeQueue: int("IMAGE_DECODE_QUEUE", 16, 0, 10_000),
    },
    corsOrigins,
    publicCatalog: bool("PUBLIC_CATALOG", true),
    customerSignup: bool("CUSTOMER_SIGNUP", true),
    signupRateLimit: {
      attempts: int("SIGNUP_RATE_LIMIT", 5, 1, 1_000_000),
      windowSeconds: int("SIGNUP_RATE_WINDOW_SECONDS", 3600, 1, 7 * 24 * 3600),
    },
    accessCodeRateLimit: {
      attempts: int("ACCESS_CODE_RATE_LIMIT", 20, 1, 1_000_000),
      windowSeconds: int("ACCESS_CODE_RATE_WINDOW_SECONDS", 600, 1, 7 * 24 * 3600),
    },
    paymentWebhookSecret,
    paymentTestMode,
    paymentReconcileMinutes: int("PAYMENT_RECONCILE_MINUTES", 60, 1, 30 * 24 * 60),
    ftp,
  };
  if (faults.length > 0) throw new ConfigError(faults);
  config.jwtSecret = jwtRaw !== undefined ? new TextEncoder().encode(jwtRaw) : persistentSecret(dataDir);
  // Derived rather than generated apart: processes that share the JWT secret (as they must) then
  // share this one too, with nothing more to configure.
  config.keyHashSecret =
    keyHashRaw !== undefined
      ? new TextEncoder().encode(keyHashRaw)
      : new Uint8Array(createHmac("sha256", config.jwtSecret).update("printmesh lab key hashing").digest());
  return config;
}

/**
 * The first admin's password for the `admin:create` command, from ADMIN_PASSWORD (null: the
 * command asks for it in the terminal). Kept apart from loadConfig: only that command reads it.
 */
export function adminPasswordFromEnv(env: Env = process.env): string | null {
  const v = env.ADMIN_PASSWORD;
  return v === undefined || v === "" ? null : v;
}

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * FTP_PORT (unset: no FTP), FTP_PASV_PORTS (`min-max`), FTP_PASV_HOST (the address PASV answers
 * name: by default HOST when that is one IPv4 address), FTP_TLS_CERT and FTP_TLS_KEY (both or
 * neither, readable PEM files).
 */
function parseFtp(
  get: (name: string) => string | undefined,
  int: (name: string, dflt: number, min: number, max: number) => number,
  host: string,
  faults: string[],
): FtpConfig | null {
  const rawPorts = get("FTP_PASV_PORTS") ?? "30000-30009";
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(rawPorts);
  const pasvPorts = m ? { min: Number(m[1]), max: Number(m[2]) } : { min: 0, max: 0 };
  if (!m || pasvPorts.min < 1024 || pasvPorts.max > 65535 || pasvPorts.min > pasvPorts.max) {
    faults.push(`FTP_PASV_PORTS must be a range of ports such as 30000-30009 (from 1024 to 65535, the first not above the last), got "${rawPorts}"`);
  }
  const pasvHostRaw = get("FTP_PASV_HOST");
  if (pasvHostRaw !== undefined && !IPV4_RE.test(pasvHostRaw)) faults.push(`FTP_PASV_HOST must be an IPv4 address such as 203.0.113.7, got "${pasvHostRaw}"`);
  const certFile = get("FTP_TLS_CERT");
  const keyFile = get("FTP_TLS_KEY");
  if ((certFile === undefined) !== (keyFile === undefined)) faults.push("FTP_TLS_CERT and FTP_TLS_KEY must be set together (or neither)");
  for (const [name, file] of [
    ["FTP_TLS_CERT", certFile],
    ["FTP_TLS_KEY", keyFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      faults.push(`${name} must name a readable PEM file, got "${file}"`);
    }
  }
  if (get("FTP_PORT") === undefined) return null;
  const port = int("FTP_PORT", 0, 0, 65535);
  const pasvHost = pasvHostRaw ?? (IPV4_RE.test(host) && host !== "0.0.0.0" ? host : null);
  if (pasvHost === null && pasvHostRaw === undefined) {
    faults.push(
      `FTP_PASV_HOST must be set when FTP_PORT is and HOST ("${host}") is not one IPv4 address: it is the address cameras open passive data connections to`,
    );
  }
  return {
    port,
    pasvHost: pasvHost ?? "",
    pasvPorts,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) } : null,
  };
}

/**
 * CORS_ORIGINS, comma-separated. Each entry must be an origin exactly as a browser sends it in its
 * `Origin` header (scheme, host and a port that is not the scheme's default; no path, no trailing
 * slash), since the center compares them as strings. `*` and `null` are refused: a wildcard would
 * let any page spend a token it got hold of, and `null` is what sandboxed and file pages send.
 */
function parseOrigins(raw: string | undefined, faults: string[]): string[] {
  if (raw === undefined) return [];
  const origins: string[] = [];
  for (const entry of raw.split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    let origin: string | null = null;
    try {
      const u = new URL(entry);
      if ((u.protocol === "http:" || u.protocol === "https:") && u.origin === entry) origin = u.origin;
    } catch {
      // not a URL: reported below
    }
    if (origin === null) {
      faults.push(
        `CORS_ORIGINS entries must be origins such as https://shop.example.com or http://localhost:8080 (http or https, lower-case host, no path or trailing slash, no * or null), got "${entry}"`,
      );
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  }
  return origins;
}

/**
 * Without JWT_SECRET, sessions are signed with a random secret created once and kept in the data
 * directory (mode 0600), so that tokens survive a restart of a single center.
 */
function persistentSecret(dataDir: string): Uint8Array {
  const file = path.join(dataDir, "jwt-secret");
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    return new TextEncoder().encode(fs.readFileSync(file, "utf8").trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const secret = randomBytes(48).toString("base64url");
  try {
    fs.writeFileSync(file, secret, { mode: 0o600, flag: "wx" });
    return new TextEncoder().encode(secret);
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return new TextEncoder().encode(fs.readFileSync(file, "utf8").trim());
    throw e;
  }
}
