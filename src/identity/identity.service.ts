/**
 * Who is calling: login with a password, session tokens, and the bearer credentials of every
 * request (a person's session token or a lab's API key). Users are loaded on every request (kept a
 * few seconds, dropped at once on a change through the event bus), so a disabled user or a changed
 * role takes effect at once, and a token issued under an earlier session version is refused.
 */
import { userError, type UserErrorData } from "../common/errors";
import type { AppContext, Auth, RequestContext } from "../core/request-context";
import { repeatOnConflict } from "../db/transaction";
import { INVALID_CREDENTIAL, type CredentialMemo } from "../core/credentials";
import { LabApiKeyEntity } from "../labs/lab-api-key.entity";
import { LabEntity } from "../labs/lab.entity";
import type { AttemptCounter, RateLimits } from "../common/rate-limits";
import { isKeyedKeyHash, keyedKeyHash, labKeyDigest, labKeyLookup, timingDummyHash, verifyHash, verifyKeyedKeyHash } from "./passwords";
import { issueToken, looksLikeJwt, TokenVerifier } from "./tokens";
import { UserEntity } from "./user.entity";

export { INVALID_CREDENTIAL, type CredentialMemo };

/**
 * A lab key verified is remembered by its SHA-256 digest: the same secret needs no lookup again in
 * this process. Whether the key is still unrevoked and its lab still enabled is
 * read again (no argon2; the keys due together in one statement) after this long, and at once
 * after any change to lab keys or the catalog. Before, every verified key went through argon2
 * again every minute: with 1,000 labs, about a third of a core spent on re-proving secrets
 * already proven.
 */
const LAB_KEY_RECHECK_MS = 60_000;
/**
 * Users behind valid tokens are kept this long, so that a busy frontend does not read its user on
 * every request; a change to a user (disable, role) drops the entry at once through the event bus.
 */
const USER_CACHE_MS = 5_000;
/** Lab keys whose state is read again in one statement, when many are due at once. */
const RECHECK_BATCH = 500;

/**
 * Secrets this process has checked, by kind: the evidence that a limit holds (tests count them, as
 * the number of slow verifications a flood could cause is the point of the limits).
 */
export interface CredentialChecks {
  /** argon2 verifications of a login's password (a dummy hash for an unknown login counts too). */
  passwords: number;
  /** argon2 verifications of a lab key. */
  labKeyArgon2: number;
  /** Lab keys looked up in the database (not already known to this process). */
  labKeyLookups: number;
}

export class IdentityService {
  readonly checks: CredentialChecks = { passwords: 0, labKeyArgon2: 0, labKeyLookups: 0 };
  /** Login attempts per login and address: the strict limit, which locks out only that address. */
  private readonly byLoginAndAddress: AttemptCounter;
  /** Login attempts per address over all logins (an office behind one NAT tries several, not without bound). */
  private readonly byAddress: AttemptCounter;
  /** Login attempts per login from every address: slower, against guesses spread over many addresses. */
  private readonly byLogin: AttemptCounter;
  /** Bad lab keys per address (good ones are not counted). */
  private readonly badKeys: AttemptCounter;
  /**
   * Lab keys already verified: full SHA-256 digest -> lab; `until`:
   * when the key's and lab's state must be read again.
   */
  private readonly labKeyCache = new Map<string, { labId: string; shopId: string; keyId: string; until: number }>();
  private readonly userCache = new Map<string, { user: UserEntity; until: number }>();
  private readonly tokens: TokenVerifier;
  /** The re-reading of due keys' state under way, shared by every caller waiting for it. */
  private refreshing: Promise<void> | null = null;
  /** Counts changes to keys (forgetLabKeys): a read that started before one may be stale. */
  private keyGeneration = 0;

  constructor(
    private readonly app: AppContext,
    limits: RateLimits,
  ) {
    this.tokens = new TokenVerifier(app.config.jwtSecret);
    const { attempts, perLogin, perAddress, windowSeconds } = app.config.loginRateLimit;
    this.byLoginAndAddress = limits.counter("login-addr", { points: attempts, windowSeconds });
    this.byAddress = limits.counter("addr", { points: perAddress, windowSeconds });
    this.byLogin = limits.counter("login", { points: perLogin, windowSeconds });
    this.badKeys = limits.counter("bad-keys", { points: app.config.badKeyRateLimit.attempts, windowSeconds: app.config.badKeyRateLimit.windowSeconds });
    void (async () => {
      for await (const event of app.events.subscribe("invalidate")) {
        if (event.kind === "lab-keys" || event.kind === "catalog") this.forgetLabKeys();
        if (event.kind === "users") this.forgetUser(event.key);
      }
    })();
  }

  /** Called when a user changes anywhere: their cached entry (or all) is dropped. */
  forgetUser(userId?: string): void {
    if (userId) this.userCache.delete(userId);
    else this.userCache.clear();
  }

  /**
   * Called when a lab key or the catalog changes anywhere: every verified key's state is read
   * again on its next use (its secret stays proven).
   */
  forgetLabKeys(): void {
    this.keyGeneration++;
    for (const entry of this.labKeyCache.values()) entry.until = 0;
  }

  /**
   * Checks a login's password. Each attempt is counted before its password is checked, so no more
   * than the limits allow are ever checked, however many arrive at once (and at however many
   * processes). The counters are taken narrowest first, so an attempt refused by one does not
   * count against the wider ones: a single address's guesses stop at its own limit and do not
   * use up the login's limit for everyone else.
   */
  /** Forgets which keys were proven here: each is checked from its stored hash at its next use. */
  forgetVerifiedKeys(): void {
    this.keyGeneration++;
    this.labKeyCache.clear();
  }

  async login(ctx: RequestContext, login: string, password: string): Promise<{ token: string; user: UserEntity } | UserErrorData[]> {
    const user = await this.checkPassword(ctx, login, password);
    if (Array.isArray(user)) return user;
    return { token: await this.issue(user), user };
  }

  /** A fresh session token for the user, under their current session version. */
  issue(user: UserEntity): Promise<string> {
    return issueToken(this.app.config.jwtSecret, user.id, this.app.config.sessionTtlSeconds, user.sessionVersion);
  }

  /**
   * The user whose login and password these are (enabled), or why not: the check of `login`, and
   * of a password change's current password, counted against the same limits.
   */
  async checkPassword(ctx: RequestContext, login: string, password: string, field?: string[]): Promise<UserEntity | UserErrorData[]> {
    const loginKey = login.trim().toLowerCase();
    const pairKey = JSON.stringify([loginKey, ctx.ip]);
    const taken: Array<[AttemptCounter, string]> = [
      [this.byLoginAndAddress, pairKey],
      [this.byAddress, ctx.ip],
      [this.byLogin, loginKey],
    ];
    for (const [counter, key] of taken) {
      const t = await counter.take(key);
      if (!t.ok) return [userError("RATE_LIMITED", `Too many failed logins; try again in ${t.retryAfterSeconds} s`, field)];
    }
    const user = await this.app.ds.getRepository(UserEntity).findOne({ where: { login: login.trim() } });
    // Verify against a dummy hash for an unknown login so that timing does not tell logins apart.
    this.checks.passwords++;
    const ok = await verifyHash(user?.passwordHash ?? (await timingDummyHash()), password);
    if (!user || !ok || user.disabled) {
      this.app.logger.info({ requestId: ctx.requestId, event: "login_failed" }, "login failed");
      return [userError("INVALID_CREDENTIALS", "Wrong login or password", field)];
    }
    // A good login is no failure: its attempt is given back, and this address's failures forgotten.
    await Promise.all([this.byLoginAndAddress.reset(pairKey), this.byAddress.giveBack(ctx.ip), this.byLogin.giveBack(loginKey)]);
    return user;
  }

  /**
   * Turns an Authorization header (or graphql-ws connectionParams value) into the caller. No header:
   * anonymous. A header that does not verify: INVALID_CREDENTIAL. `memo`: see {@link CredentialMemo}.
   * `ip`: the caller's address, whose bad lab keys are limited (BAD_KEY_RATE_LIMIT).
   */
  async authenticate(header: string | undefined | null, memo?: CredentialMemo, ip?: string): Promise<Auth | typeof INVALID_CREDENTIAL> {
    if (header === undefined || header === null) return { kind: "anonymous" };
    let parsed = memo?.parsed;
    if (parsed === undefined || parsed.header !== header) {
      if (header.trim() === "") return { kind: "anonymous" };
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m) return INVALID_CREDENTIAL;
      const credential = m[1];
      const jwt = looksLikeJwt(credential);
      // Longer than any key this center issues: refused before it is hashed.
      if (!jwt && credential.length > 512) return INVALID_CREDENTIAL;
      parsed = { header, credential, jwt, digest: jwt ? null : labKeyDigest(credential) };
      if (memo) memo.parsed = parsed;
    }
    if (parsed.jwt) {
      const claims = await this.tokens.verify(parsed.credential);
      if (!claims) return INVALID_CREDENTIAL;
      const cached = this.userCache.get(claims.userId);
      let user = cached && cached.until > Date.now() ? cached.user : null;
      if (!user) {
        user = await this.app.ds.getRepository(UserEntity).findOne({ where: { id: claims.userId } });
        if (user) this.userCache.set(user.id, { user, until: Date.now() + USER_CACHE_MS });
      }
      // A session issued before a password change, a disable or a change of role has ended.
      if (!user || user.disabled || user.sessionVersion !== claims.sessionVersion) return INVALID_CREDENTIAL;
      return { kind: "user", user };
    }
    return this.authenticateLabKey(parsed.credential, parsed.digest!, ip);
  }

  private async authenticateLabKey(key: string, digest: string, ip: string | undefined): Promise<Auth | typeof INVALID_CREDENTIAL> {
    const cached = this.labKeyCache.get(digest);
    if (cached) {
      // Still due after a refresh: a change came while it read; read again.
      while (cached.until <= Date.now()) {
        await this.refreshDueKeys();
        if (this.labKeyCache.get(digest) !== cached) return INVALID_CREDENTIAL;
      }
      return { kind: "lab", labId: cached.labId, shopId: cached.shopId, keyId: cached.keyId };
    }
    // Only bad keys are counted, once found bad: good keys arriving together from one address (a
    // network's labs reconnecting through one proxy after a restart) are never refused for being
    // many at once. An address that has presented too many bad keys is refused unchecked for the
    // rest of the window. A bad key costs one indexed read and no hashing, so the few that arrive
    // together before the first is counted cost little.
    if (ip !== undefined && (await this.badKeys.spent(ip))) return INVALID_CREDENTIAL;
    const auth = await this.lookUpLabKey(key, digest);
    if (ip !== undefined && auth === INVALID_CREDENTIAL) await this.badKeys.count(ip);
    return auth;
  }

  /**
   * Finds a key by its lookup (its id prefix, see labKeyLookup) and checks it against the stored
   * hash: the keyed hash, at the cost of an HMAC. A key still stored with argon2 is verified with
   * argon2 and then stored as the keyed hash, so that it costs argon2 once. An unknown lookup costs
   * one indexed read and no hashing at all.
   */
  private async lookUpLabKey(key: string, digest: string): Promise<Auth | typeof INVALID_CREDENTIAL> {
    this.checks.labKeyLookups++;
    const candidates = await this.app.ds
      .getRepository(LabApiKeyEntity)
      .createQueryBuilder("k")
      .where("k.lookup = :lookup AND k.revoked_at IS NULL", { lookup: labKeyLookup(key) })
      .getMany();
    const secret = this.app.config.keyHashSecret;
    for (const k of candidates) {
      let ok: boolean;
      if (isKeyedKeyHash(k.hash)) ok = verifyKeyedKeyHash(secret, k.hash, key);
      else {
        this.checks.labKeyArgon2++;
        ok = await verifyHash(k.hash, key);
        // Only where it still holds the argon2 hash just verified (another process may be at it too).
        // Conditional on the hash it replaces: safe to repeat.
        if (ok)
          await repeatOnConflict(() => this.app.ds.getRepository(LabApiKeyEntity).update({ id: k.id, hash: k.hash }, { hash: keyedKeyHash(secret, key) }));
      }
      if (!ok) continue;
      const lab = await this.app.ds.getRepository(LabEntity).findOne({ where: { id: k.labId } });
      if (!lab || lab.disabled) return INVALID_CREDENTIAL;
      this.labKeyCache.set(digest, { labId: lab.id, shopId: lab.shopId, keyId: k.id, until: Date.now() + LAB_KEY_RECHECK_MS });
      return { kind: "lab", labId: lab.id, shopId: lab.shopId, keyId: k.id };
    }
    return INVALID_CREDENTIAL;
  }

  /**
   * Reads again whether the verified keys that are due (and those falling due within a tenth of the
   * period) are still unrevoked and their labs enabled, RECHECK_BATCH keys per statement; drops
   * those that are not. Keys verified together fall due together (1,000 labs connecting after a
   * restart): read one by one, as each is next used, they cost a statement each. A read that a
   * change to keys overtook leaves its keys due.
   */
  private refreshDueKeys(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const generation = this.keyGeneration;
        const horizon = Date.now() + LAB_KEY_RECHECK_MS / 10;
        const due = [...this.labKeyCache].filter(([, entry]) => entry.until <= horizon);
        for (let i = 0; i < due.length; i += RECHECK_BATCH) {
          const chunk = due.slice(i, i + RECHECK_BATCH);
          const valid = await this.validLabKeys(chunk.map(([, entry]) => entry.keyId));
          const until = Date.now() + LAB_KEY_RECHECK_MS;
          for (const [digest, entry] of chunk) {
            const shopId = valid.get(entry.keyId);
            if (shopId === undefined) {
              if (this.labKeyCache.get(digest) === entry) this.labKeyCache.delete(digest);
            } else if (generation === this.keyGeneration) {
              entry.shopId = shopId;
              entry.until = until;
            }
          }
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * Of these lab key ids, those still unrevoked whose lab is there and enabled, each with its lab's
   * shop: one statement (callers keep the list to a few hundred ids).
   */
  async validLabKeys(keyIds: readonly string[]): Promise<Map<string, string>> {
    if (keyIds.length === 0) return new Map();
    const rows = await this.app.ds
      .getRepository(LabApiKeyEntity)
      .createQueryBuilder("k")
      .select("k.id", "id")
      .addSelect("l.shop_id", "shopId")
      .innerJoin(LabEntity, "l", "l.id = k.lab_id")
      .where("k.id IN (:...ids) AND k.revoked_at IS NULL AND l.disabled = :no", { ids: [...keyIds], no: false })
      .getRawMany<{ id: string; shopId: string }>();
    return new Map(rows.map((r) => [r.id, r.shopId]));
  }
}
