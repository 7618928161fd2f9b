import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadConfig } from "../../src/config";

const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-config-"));

describe("configuration", () => {
  it("has the contract's defaults", () => {
    const dir = dataDir();
    const c = loadConfig({ DATA_DIR: dir });
    expect(c.database).toMatchObject({ type: "sqlite", path: path.resolve("./data/printmesh.sqlite") });
    expect(c.port).toBe(4000);
    expect(c.host).toBe("127.0.0.1");
    expect(c.redisUrl).toBeNull();
    expect(c.businessTimeZone).toBe("UTC");
    expect(c.printJobLeaseSeconds).toBe(600);
    expect(c.demoData).toBe(true);
    expect(c.ide).toBe(true);
    expect(c.labLoadRetentionDays).toBe(30);
    expect([c.shootRetentionDays, c.shootRetirementNoticeDays]).toEqual([90, 7]);
    // Without JWT_SECRET a random secret is made once and kept in the data directory.
    const secret = fs.readFileSync(path.join(dir, "jwt-secret"), "utf8");
    expect(secret.length).toBeGreaterThanOrEqual(48);
    expect(Buffer.from(loadConfig({ DATA_DIR: dir }).jwtSecret).toString()).toBe(secret);
    expect(fs.statSync(path.join(dir, "jwt-secret")).mode & 0o777).toBe(0o600);
  });

  it("reads MariaDB URLs and turns demo data off for them", () => {
    const c = loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "mysql://app:s%40cret@db.local:3307/printmesh", JWT_SECRET: "x".repeat(32) });
    expect(c.database).toMatchObject({ type: "mysql", host: "db.local", port: 3307, user: "app", password: "s@cret", database: "printmesh" });
    expect(c.demoData).toBe(false);
    expect(c.database).not.toHaveProperty("socketPath");
    const local = loadConfig({
      DATA_DIR: dataDir(),
      DATABASE_URL: "mysql://app@localhost/printmesh?socket=/run/mysqld/mysqld.sock",
      JWT_SECRET: "x".repeat(32),
    });
    expect(local.database).toMatchObject({ type: "mysql", host: "localhost", user: "app", database: "printmesh", socketPath: "/run/mysqld/mysqld.sock" });
  });

  it("reads a DATABASE_URL naming several hosts, in their order, and DATABASE_SYNC_WAIT", () => {
    const c = loadConfig({
      DATA_DIR: dataDir(),
      DATABASE_URL: "mysql://app:p%2Cw@DB1.local:3307,db2.local,[::1]:3309/printmesh",
      JWT_SECRET: "x".repeat(32),
    });
    expect(c.database).toEqual({
      type: "mysql",
      url: "mysql://app:p%2Cw@DB1.local:3307,db2.local,[::1]:3309/printmesh",
      host: "db1.local",
      port: 3307,
      hosts: [
        { host: "db1.local", port: 3307 },
        { host: "db2.local", port: 3306 },
        { host: "::1", port: 3309 },
      ],
      user: "app",
      password: "p,w",
      database: "printmesh",
      syncWait: 1,
    });
    const one = loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "mariadb://lb.local/printmesh", DATABASE_SYNC_WAIT: "0", JWT_SECRET: "x".repeat(32) });
    expect(one.database).toMatchObject({ host: "lb.local", port: 3306, hosts: [{ host: "lb.local", port: 3306 }], user: "root", syncWait: 0 });
  });

  it.each([
    ["mysql://app@db1:3306,,db2/printmesh", /DATABASE_URL hosts must be host or host:port .*"" is not/],
    ["mysql://app@db1:3306,db2:0/printmesh", /DATABASE_URL hosts must be host or host:port .*"db2:0" is not/],
    ["mysql://app@db1:3306,db2:x/printmesh", /DATABASE_URL hosts must be host or host:port .*"db2:x" is not/],
    ["mysql://app@db1:,db2/printmesh", /DATABASE_URL hosts must be host or host:port .*"db1:" is not/],
    ["mysql://app@db1,DB1:3306/printmesh", /DATABASE_URL names DB1:3306 twice/],
    ["mysql://app@db1,db2", /DATABASE_URL must name a host and a database/],
    ["mysql://app@db1,db2/printmesh?socket=/run/mysqld/mysqld.sock", /DATABASE_URL socket names one server on this machine/],
    ["mysql://a:%zz@db1/printmesh", /DATABASE_URL has a badly percent-encoded/],
  ])("refuses the DATABASE_URL %s", (url, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: url, JWT_SECRET: "x".repeat(32) })).toThrow(message);
  });

  it("refuses a DATABASE_SYNC_WAIT outside 0-15", () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "mysql://a@db/p", DATABASE_SYNC_WAIT: "16", JWT_SECRET: "x".repeat(32) })).toThrow(
      /DATABASE_SYNC_WAIT must be a whole number from 0 to 15/,
    );
  });

  it("switches the IDE and introspection off in production unless asked", () => {
    const c = loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "production", JWT_SECRET: "x".repeat(32) });
    expect(c.ide).toBe(false);
    expect(c.introspection).toBe(false);
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "production", GRAPHQL_IDE: "1", JWT_SECRET: "x".repeat(32) }).ide).toBe(true);
  });

  it("reads CORS_ORIGINS as a list of origins, none by default", () => {
    expect(loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: "x".repeat(32) }).corsOrigins).toEqual([]);
    const c = loadConfig({
      DATA_DIR: dataDir(),
      JWT_SECRET: "x".repeat(32),
      CORS_ORIGINS: " https://shop.example.com, http://localhost:8080,,http://[::1]:3000, https://shop.example.com ",
    });
    expect(c.corsOrigins).toEqual(["https://shop.example.com", "http://localhost:8080", "http://[::1]:3000"]);
  });

  it("turns the differential mode of HTTP requests on only when asked, in any NODE_ENV", () => {
    expect(loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: "x".repeat(32) }).httpDifferential).toBe(false);
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "production", GRAPHQL_HTTP_DIFFERENTIAL: "1", JWT_SECRET: "x".repeat(32) }).httpDifferential).toBe(true);
    expect(() => loadConfig({ DATA_DIR: dataDir(), GRAPHQL_HTTP_DIFFERENTIAL: "maybe", JWT_SECRET: "x".repeat(32) })).toThrow(
      /GRAPHQL_HTTP_DIFFERENTIAL must be 1 or 0/,
    );
  });

  it.each([
    ["PORT", "http", /PORT must be a whole number/],
    ["PORT", "70000", /PORT must be a whole number from 0 to 65535/],
    ["DATABASE_URL", "postgres://x/y", /DATABASE_URL must start with sqlite: or mysql:\/\//],
    ["DATABASE_URL", "mysql://root:pw@host", /DATABASE_URL must name a host and a database/],
    ["DATABASE_URL", "mysql://root@host/db?ssl=1", /DATABASE_URL has unknown options ssl \(known: socket\)/],
    ["DATABASE_URL", "mysql://root@host/db?socket=run/mysqld.sock", /DATABASE_URL socket must be an absolute path, got "run\/mysqld.sock"/],
    ["BUSINESS_TIMEZONE", "Mars/Olympus", /BUSINESS_TIMEZONE must be an IANA time zone/],
    ["PRINT_JOB_LEASE_SECONDS", "0", /PRINT_JOB_LEASE_SECONDS must be a whole number from 1/],
    ["DEMO_DATA", "yes", /DEMO_DATA must be 1 or 0/],
    ["REDIS_URL", "localhost:6379", /REDIS_URL must be a redis:\/\//],
    ["JWT_SECRET", "short", /JWT_SECRET must be at least 32 characters/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL must be one of/],
    ["LAB_LOAD_RETENTION_DAYS", "0", /^Invalid configuration:\n {2}- LAB_LOAD_RETENTION_DAYS must be a whole number from 1 to 36500, got "0"$/],
    ["LAB_LOAD_RETENTION_DAYS", "x", /^Invalid configuration:\n {2}- LAB_LOAD_RETENTION_DAYS must be a whole number from 1 to 36500, got "x"$/],
    ["LAB_LOAD_RETENTION_DAYS", "1.5", /LAB_LOAD_RETENTION_DAYS must be a whole number from 1 to 36500, got "1.5"/],
    ["SHOOT_RETENTION_DAYS", "-1", /^Invalid configuration:\n {2}- SHOOT_RETENTION_DAYS must be a whole number from 0 to 36500, got "-1"$/],
    ["SHOOT_RETENTION_DAYS", "36501", /SHOOT_RETENTION_DAYS must be a whole number from 0 to 36500, got "36501"/],
    ["SHOOT_RETIREMENT_NOTICE_DAYS", "a week", /SHOOT_RETIREMENT_NOTICE_DAYS must be a whole number from 0 to 3650, got "a week"/],
    ["WS_MAX_SOCKETS_PER_CREDENTIAL", "0", /WS_MAX_SOCKETS_PER_CREDENTIAL must be a whole number from 1 to 100000, got "0"/],
    ["WS_MAX_OPERATIONS", "many", /WS_MAX_OPERATIONS must be a whole number from 1 to 100000, got "many"/],
    ["WS_MAX_SUBSCRIPTIONS", "-1", /WS_MAX_SUBSCRIPTIONS must be a whole number from 1 to 100000, got "-1"/],
    ["WS_SEND_BUFFER_BYTES", "1024", /WS_SEND_BUFFER_BYTES must be a whole number from 16384 to 1073741824, got "1024"/],
    ["WS_SEND_STALL_SECONDS", "0", /WS_SEND_STALL_SECONDS must be a whole number from 1 to 3600, got "0"/],
    ["GRAPHQL_WS_LANE", "fast", /GRAPHQL_WS_LANE must be center or library, got "fast"/],
    ["CORS_ORIGINS", "*", /CORS_ORIGINS entries must be origins .*, got "\*"/],
    ["CORS_ORIGINS", "null", /CORS_ORIGINS entries must be origins .*, got "null"/],
    ["CORS_ORIGINS", "https://shop.example.com/", /CORS_ORIGINS entries must be origins .*, got "https:\/\/shop.example.com\/"/],
    ["CORS_ORIGINS", "https://shop.example.com/app", /CORS_ORIGINS entries must be origins .*, got "https:\/\/shop.example.com\/app"/],
    ["CORS_ORIGINS", "shop.example.com", /CORS_ORIGINS entries must be origins .*, got "shop.example.com"/],
    ["CORS_ORIGINS", "ftp://shop.example.com", /CORS_ORIGINS entries must be origins .*, got "ftp:\/\/shop.example.com"/],
    ["CORS_ORIGINS", "https://Shop.example.com", /CORS_ORIGINS entries must be origins .*, got "https:\/\/Shop.example.com"/],
    ["CORS_ORIGINS", "https://shop.example.com:443", /CORS_ORIGINS entries must be origins .*, got "https:\/\/shop.example.com:443"/],
    ["CORS_ORIGINS", "https://ok.example.com, https://user@shop.example.com", /CORS_ORIGINS entries must be origins .*, got "https:\/\/user@shop.example.com"/],
  ])("refuses %s=%s with a message naming the variable", (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir(), [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it("bounds each WebSocket by default, and reads the bounds given", () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).ws).toEqual({
      maxSocketsPerCredential: 10,
      maxOperations: 100,
      maxSubscriptions: 10,
      sendBufferBytes: 262144,
      sendStallMs: 30000,
      lane: "center",
    });
    const c = loadConfig({
      DATA_DIR: dataDir(),
      WS_MAX_SOCKETS_PER_CREDENTIAL: "2",
      WS_MAX_OPERATIONS: "8",
      WS_MAX_SUBSCRIPTIONS: "3",
      WS_SEND_BUFFER_BYTES: "65536",
      WS_SEND_STALL_SECONDS: "5",
      GRAPHQL_WS_LANE: "library",
    });
    expect(c.ws).toEqual({ maxSocketsPerCredential: 2, maxOperations: 8, maxSubscriptions: 3, sendBufferBytes: 65536, sendStallMs: 5000, lane: "library" });
  });

  it("lets the center's own lane answer plain HTTP requests by default, or Apollo's pipeline only", () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).httpLane).toBe("center");
    expect(loadConfig({ DATA_DIR: dataDir(), GRAPHQL_HTTP_LANE: "apollo" }).httpLane).toBe("apollo");
    expect(() => loadConfig({ DATA_DIR: dataDir(), GRAPHQL_HTTP_LANE: "express" })).toThrow(/GRAPHQL_HTTP_LANE must be center or apollo/);
  });

  it("reads LAB_LOAD_RETENTION_DAYS in whole days, from 1", () => {
    expect(loadConfig({ DATA_DIR: dataDir(), LAB_LOAD_RETENTION_DAYS: "7" }).labLoadRetentionDays).toBe(7);
    expect(loadConfig({ DATA_DIR: dataDir(), LAB_LOAD_RETENTION_DAYS: "1" }).labLoadRetentionDays).toBe(1);
    expect(loadConfig({ DATA_DIR: dataDir(), LAB_LOAD_RETENTION_DAYS: " 365 " }).labLoadRetentionDays).toBe(365);
  });

  it("reads the access codes' guess limit, and refuses a bad one naming the variable", () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).accessCodeRateLimit).toEqual({ attempts: 20, windowSeconds: 600 });
    expect(loadConfig({ DATA_DIR: dataDir(), ACCESS_CODE_RATE_LIMIT: "3", ACCESS_CODE_RATE_WINDOW_SECONDS: "60" }).accessCodeRateLimit).toEqual({
      attempts: 3,
      windowSeconds: 60,
    });
    for (const env of [{ ACCESS_CODE_RATE_LIMIT: "0" }, { ACCESS_CODE_RATE_LIMIT: "ten" }, { ACCESS_CODE_RATE_WINDOW_SECONDS: "-1" }]) {
      expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(new RegExp(Object.keys(env)[0] + " must be a whole number"));
    }
  });

  it("never shows a database password in its messages", () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "mysql://app:topsecret@host" })).toThrow(/mysql:\/\/app:\*\*\*@host/);
    try {
      loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: "mysql://app:topsecret@host" });
    } catch (e) {
      expect((e as Error).message).not.toContain("topsecret");
    }
  });

  it("keeps FTP off unless FTP_PORT is set, and checks the FTP variables", () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).ftp).toBeNull();
    expect(loadConfig({ DATA_DIR: dir, FTP_PORT: "2121" }).ftp).toEqual({
      port: 2121,
      pasvHost: "127.0.0.1",
      pasvPorts: { min: 30000, max: 30009 },
      tls: null,
    });
    expect(loadConfig({ DATA_DIR: dir, FTP_PORT: "21", HOST: "0.0.0.0", FTP_PASV_HOST: "203.0.113.7", FTP_PASV_PORTS: "31000-31049" }).ftp).toEqual({
      port: 21,
      pasvHost: "203.0.113.7",
      pasvPorts: { min: 31000, max: 31049 },
      tls: null,
    });
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    fs.writeFileSync(cert, "-----BEGIN CERTIFICATE-----\n");
    fs.writeFileSync(key, "-----BEGIN PRIVATE KEY-----\n");
    expect(loadConfig({ DATA_DIR: dir, FTP_PORT: "21", FTP_TLS_CERT: cert, FTP_TLS_KEY: key }).ftp?.tls).toEqual({ certFile: cert, keyFile: key });

    const fails = (env: Record<string, string>, message: RegExp) => expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(message);
    fails({ FTP_PORT: "ftp" }, /FTP_PORT must be a whole number from 0 to 65535, got "ftp"/);
    fails({ FTP_PORT: "70000" }, /FTP_PORT must be a whole number/);
    fails({ FTP_PORT: "21", FTP_PASV_PORTS: "30009-30000" }, /FTP_PASV_PORTS must be a range of ports/);
    fails({ FTP_PORT: "21", FTP_PASV_PORTS: "80-90" }, /FTP_PASV_PORTS must be a range of ports/);
    fails({ FTP_PORT: "21", FTP_PASV_PORTS: "30000" }, /FTP_PASV_PORTS must be a range of ports/);
    fails({ FTP_PORT: "21", FTP_PASV_HOST: "ftp.example.com" }, /FTP_PASV_HOST must be an IPv4 address/);
    fails({ FTP_PORT: "21", HOST: "0.0.0.0" }, /FTP_PASV_HOST must be set when FTP_PORT is and HOST \("0.0.0.0"\)/);
    fails({ FTP_PORT: "21", FTP_TLS_CERT: cert }, /FTP_TLS_CERT and FTP_TLS_KEY must be set together/);
    fails({ FTP_PORT: "21", FTP_TLS_CERT: cert, FTP_TLS_KEY: path.join(dir, "missing.pem") }, /FTP_TLS_KEY must name a readable PEM file/);
  });

  it("names Redis by URL or through Sentinels (REDIS_SENTINELS with REDIS_SENTINEL_NAME), one way only", () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir }).redis).toBeNull();
    expect(loadConfig({ DATA_DIR: dir, REDIS_URL: "redis://cache:6379" }).redis).toEqual({ url: "redis://cache:6379" });
    const sentinel = loadConfig({ DATA_DIR: dir, REDIS_SENTINELS: "sentinel-1:26379, 10.0.0.2:26380,[::1]:26381", REDIS_SENTINEL_NAME: "printmesh" });
    expect(sentinel.redis).toEqual({
      sentinels: [
        { host: "sentinel-1", port: 26379 },
        { host: "10.0.0.2", port: 26380 },
        { host: "::1", port: 26381 },
      ],
      name: "printmesh",
    });
    expect(sentinel.redisUrl).toBeNull();

    const fails = (env: Record<string, string>, message: RegExp) => expect(() => loadConfig({ DATA_DIR: dir, ...env })).toThrow(message);
    fails({ REDIS_SENTINELS: "sentinel-1:26379" }, /REDIS_SENTINEL_NAME is needed with REDIS_SENTINELS/);
    fails({ REDIS_SENTINEL_NAME: "printmesh" }, /REDIS_SENTINELS is needed with REDIS_SENTINEL_NAME/);
    fails(
      { REDIS_URL: "redis://cache:6379", REDIS_SENTINELS: "sentinel-1:26379", REDIS_SENTINEL_NAME: "printmesh" },
      /REDIS_URL cannot be set together with REDIS_SENTINELS or REDIS_SENTINEL_NAME/,
    );
    fails(
      { REDIS_SENTINELS: "sentinel-1", REDIS_SENTINEL_NAME: "printmesh" },
      /REDIS_SENTINELS must be a comma-separated list of host:port .*got "sentinel-1"/,
    );
    fails({ REDIS_SENTINELS: "a:26379,b:99999", REDIS_SENTINEL_NAME: "printmesh" }, /REDIS_SENTINELS must be .*got "b:99999"/);
    fails({ REDIS_SENTINELS: "a:26379,", REDIS_SENTINEL_NAME: "printmesh" }, /REDIS_SENTINELS must be .*got ""/);
    fails({ REDIS_SENTINELS: "a:26379", REDIS_SENTINEL_NAME: "my master" }, /REDIS_SENTINEL_NAME must be a master name/);
  });

  it("reports every bad variable at once", () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), PORT: "x", DEMO_DATA: "maybe" })).toThrow(/PORT[\s\S]*DEMO_DATA/);
  });
});

describe("production defaults for demo data and metrics", () => {
  it("loads demo data in production only when DEMO_DATA=1 says so, on SQLite too", () => {
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "production", JWT_SECRET: "x".repeat(32) }).demoData).toBe(false);
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "production", JWT_SECRET: "x".repeat(32), DEMO_DATA: "1" }).demoData).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: "development" }).demoData).toBe(true);
  });

  it("keeps /metrics off the public port in production unless METRICS_TOKEN is set, and checks the metrics variables", () => {
    const base = { DATA_DIR: dataDir(), JWT_SECRET: "x".repeat(32) };
    expect(loadConfig({ ...base, NODE_ENV: "production" }).metrics).toEqual({ token: null, port: null, host: "127.0.0.1", onPublicPort: false });
    expect(loadConfig({ ...base, NODE_ENV: "development" }).metrics).toEqual({ token: null, port: null, host: "127.0.0.1", onPublicPort: true });
    expect(loadConfig({ ...base, NODE_ENV: "production", METRICS_TOKEN: "t".repeat(16) }).metrics).toEqual({
      token: "t".repeat(16),
      port: null,
      host: "127.0.0.1",
      onPublicPort: true,
    });
    expect(loadConfig({ ...base, METRICS_PORT: "9400", METRICS_HOST: "10.0.0.5" }).metrics).toEqual({
      token: null,
      port: 9400,
      host: "10.0.0.5",
      onPublicPort: false,
    });
    expect(() => loadConfig({ ...base, METRICS_TOKEN: "short" })).toThrow("METRICS_TOKEN must be at least 16 characters without spaces");
    expect(() => loadConfig({ ...base, METRICS_PORT: "http" })).toThrow('METRICS_PORT must be a whole number from 0 to 65535, got "http"');
  });
});
