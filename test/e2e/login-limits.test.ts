/**
 * Login rate limits end to end: an attempt is counted before its password is checked, so a burst of
 * concurrent guesses gets exactly the allowed number of argon2 checks; the strict limit is per login
 * and address, so guesses from one address do not lock the user out from another; a slower limit
 * per login holds across addresses; with REDIS_URL, centers sharing Redis share the counters. The
 * password checks are counted on each center's metrics (printmesh_credential_checks_total).
 *
 * Addresses: the center listens on 127.0.0.1, and a client may connect from any 127.0.0.x, which
 * the center sees as a different address.
 */
import * as http from "node:http";
import { createServer, type RunningServer } from "../../src/server";
import { openDatabase } from "../../src/entities";
import { startCenter, type TestCenter } from "../support/center";
import { credentialChecks } from "../support/metrics";

const REDIS_URL = process.env.REDIS_URL ?? "";
// argon2 is slow on purpose: a test checks a dozen or more passwords at once.
jest.setTimeout(120_000);
const LOGIN = "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token errors { code } } }";

interface LoginAnswer {
  token: string | null;
  errors: Array<{ code: string }>;
}

/** A login sent from `from` (a loopback address) to the center at `url`. */
function loginFrom(url: string, from: string, login: string, password: string): Promise<LoginAnswer> {
  const body = JSON.stringify({ query: LOGIN, variables: { l: login, p: password } });
  const u = new URL(url + "/graphql");
  return new Promise((resolve, reject) => {
    const req = http.request(
      // A fresh connection per request: the address is the connection's.
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        localAddress: from,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          try {
            resolve((JSON.parse(text) as { data: { login: LoginAnswer } }).data.login);
          } catch {
            reject(new Error(`bad answer ${res.statusCode}: ${text}`));
          }
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** How many answers carry each outcome: "token" or the first error's code. */
function tally(answers: LoginAnswer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = a.token ? "token" : (a.errors[0]?.code ?? "none");
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

const redisEnv = (): Record<string, string> => (REDIS_URL ? { REDIS_URL } : {});

describe("login rate limits", () => {
  let c: TestCenter;
  beforeAll(async () => {
    c = await startCenter({ env: { LOGIN_RATE_LIMIT: "10", LOGIN_RATE_LIMIT_GLOBAL: "25", ...redisEnv() } });
  });
  afterAll(async () => {
    await c?.stop();
  });
  const passwordChecks = async () => (await credentialChecks(c.server)).passwords;

  it("checks exactly 10 of 150 concurrent guesses for one login from one address", async () => {
    const before = await passwordChecks();
    const answers = await Promise.all(Array.from({ length: 150 }, () => loginFrom(c.url, "127.0.0.1", "shop-2", "wrong-password")));
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: 10, RATE_LIMITED: 140 });
    expect((await passwordChecks()) - before).toBe(10);
    // Still refused with the right password, without a check.
    expect(tally([await loginFrom(c.url, "127.0.0.1", "shop-2", "shop-2-pass")])).toEqual({ RATE_LIMITED: 1 });
    expect((await passwordChecks()) - before).toBe(10);
  });

  it("does not lock the user out from another address", async () => {
    const wrong = await Promise.all(Array.from({ length: 12 }, () => loginFrom(c.url, "127.0.0.2", "shop-3", "wrong-password")));
    expect(tally(wrong)).toEqual({ INVALID_CREDENTIALS: 10, RATE_LIMITED: 2 });
    expect(tally([await loginFrom(c.url, "127.0.0.2", "shop-3", "shop-3-pass")])).toEqual({ RATE_LIMITED: 1 });
    const elsewhere = await loginFrom(c.url, "127.0.0.3", "shop-3", "shop-3-pass");
    expect(elsewhere.errors).toEqual([]);
    expect(typeof elsewhere.token).toBe("string");
  });

  it("holds a slower limit per login across addresses", async () => {
    const before = await passwordChecks();
    const addresses = ["127.0.0.4", "127.0.0.5", "127.0.0.6"];
    const answers = await Promise.all(addresses.flatMap((a) => Array.from({ length: 10 }, () => loginFrom(c.url, a, "shop-4", "wrong-password"))));
    // 30 guesses within the per-address limits, 25 within the per-login one.
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: 25, RATE_LIMITED: 5 });
    expect((await passwordChecks()) - before).toBe(25);
    expect(tally([await loginFrom(c.url, "127.0.0.7", "shop-4", "shop-4-pass")])).toEqual({ RATE_LIMITED: 1 });
  });

  it("counts a successful login as no failure", async () => {
    for (let i = 0; i < 12; i++) expect((await loginFrom(c.url, "127.0.0.8", "customer", "customer-pass")).errors).toEqual([]);
    expect(tally(await Promise.all(Array.from({ length: 12 }, () => loginFrom(c.url, "127.0.0.8", "customer", "wrong-password"))))).toEqual({
      INVALID_CREDENTIALS: 10,
      RATE_LIMITED: 2,
    });
  });
});

// Two centers sharing one database and one Redis: one set of counters.
(REDIS_URL ? describe : describe.skip)("login rate limits over two centers sharing Redis", () => {
  let c: TestCenter;
  let second: RunningServer;
  let closeSecond: () => Promise<void>;
  beforeAll(async () => {
    c = await startCenter({ env: { LOGIN_RATE_LIMIT: "10", REDIS_URL } });
    const ds = await openDatabase(c.config.database, { poolSize: 2 });
    second = await createServer({ ...c.config, port: 0 }, { ds });
    closeSecond = async () => {
      await second.stop();
      await ds.destroy();
    };
  });
  afterAll(async () => {
    await closeSecond?.();
    await c?.stop();
  });

  it("checks exactly 10 of 150 concurrent guesses spread over both", async () => {
    const centers = [c.server, second];
    const passwords = () => Promise.all(centers.map(async (s) => (await credentialChecks(s)).passwords));
    const before = await passwords();
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => loginFrom(centers[i % 2].url, "127.0.0.1", "shop-1", "wrong-password")));
    expect(tally(answers)).toEqual({ INVALID_CREDENTIALS: 10, RATE_LIMITED: 140 });
    const checked = (await passwords()).map((n, i) => n - before[i]);
    expect(checked[0] + checked[1]).toBe(10);
    // Blocked at either center.
    for (const s of centers) expect(tally([await loginFrom(s.url, "127.0.0.1", "shop-1", "shop-1-pass")])).toEqual({ RATE_LIMITED: 1 });
  });
});
