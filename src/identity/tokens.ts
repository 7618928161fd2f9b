/**
 * Session tokens: short JWTs (HS256) signed with JWT_SECRET, naming the user and the user's session
 * version (`sv`) at issue: a session ends when that version moves on (see UserEntity).
 */
import { createSecretKey, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";

const ISSUER = "printmesh";

export async function issueToken(secret: Uint8Array, userId: string, ttlSeconds: number, sessionVersion = 0): Promise<string> {
  return new SignJWT({ sv: sessionVersion })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret);
}

export interface TokenClaims {
  userId: string;
  /** The user's session version when it was issued (0 for tokens that carry none). */
  sessionVersion: number;
  issuedAt: number;
  /** Unix seconds. */
  expiresAt: number;
}

/** The user id of a valid, unexpired token, or null. */
export async function verifyToken(secret: Uint8Array | KeyObject, token: string): Promise<TokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, secret, { issuer: ISSUER, algorithms: ["HS256"] });
    if (typeof payload.sub !== "string" || typeof payload.iat !== "number" || typeof payload.exp !== "number") return null;
    const sv = payload.sv ?? 0;
    if (typeof sv !== "number" || !Number.isSafeInteger(sv)) return null;
    return { userId: payload.sub, sessionVersion: sv, issuedAt: payload.iat, expiresAt: payload.exp };
  } catch {
    return null;
  }
}

/**
 * Verifies tokens with the key made once, and remembers the claims of tokens it has verified until
 * they expire: a frontend sends the same token with every request, and checking its signature again
 * each time was a measurable share of a request's CPU. Only valid tokens are kept (a forged one
 * costs a verification every time), at most `maxEntries` of them (the memory is then dropped whole).
 * What the token names is still checked per request by the caller (the user, disabled or not).
 */
export class TokenVerifier {
  private readonly key: KeyObject;
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    secret: Uint8Array,
    private readonly maxEntries = 10_000,
  ) {
    this.key = createSecretKey(secret);
  }

  async verify(token: string, now = Date.now()): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt * 1000 > now) return known;
      this.verified.delete(token);
      return null;
    }
    const claims = await verifyToken(this.key, token);
    if (claims) {
      if (this.verified.size >= this.maxEntries) this.verified.clear();
      this.verified.set(token, claims);
    }
    return claims;
  }
}

export function looksLikeJwt(s: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);
}
