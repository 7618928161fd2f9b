/**
 * Password and API-key hashing. People's passwords use argon2id at its default cost (slow on
 * purpose: people choose guessable passwords). Lab keys are long random secrets, which no amount of
 * guessing finds, so they are stored as an HMAC-SHA-256 keyed with a server secret (as token
 * services store their tokens): checking one costs microseconds, not an argon2 run that anyone with
 * a made-up key could make the center pay. Keys stored with argon2 before (or given in clear in a
 * bundle) are verified with argon2 once and then stored as the keyed hash.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import * as argon2 from "argon2";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_LAB_KEY_LENGTH = 24;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** argon2 for a lab key: only where the key secret is not at hand (a bundle's clear key). */
export function hashLabKey(key: string): Promise<string> {
  return argon2.hash(key, { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export async function verifyHash(hash: string, secret: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, secret);
  } catch {
    return false;
  }
}

/** A fixed hash to verify against when the login is unknown, so both failures cost the same time. */
let dummyHash: Promise<string> | null = null;
export function timingDummyHash(): Promise<string> {
  dummyHash ??= hashPassword("not-a-real-password-" + Math.random());
  return dummyHash;
}

/** Keys the center issues: `pmk_`, the key's public id (16 hex digits), `_`, 32 random bytes. */
const ISSUED_KEY_RE = /^pmk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/**
 * The short, non-secret index of a lab key that finds its row: the id prefix of a key the center
 * issued; for any other key (issued before ids, or written in a bundle), the first 16 hex digits of
 * its SHA-256, useless to recover the key.
 */
export function labKeyLookup(key: string): string {
  const m = ISSUED_KEY_RE.exec(key);
  return m ? m[1] : createHash("sha256").update(key).digest("hex").slice(0, 16);
}

const KEYED_HASH_PREFIX = "hmac-sha256$";

/** The stored form of a lab key: HMAC-SHA-256 under the server's key secret. */
export function keyedKeyHash(secret: Uint8Array, key: string): string {
  return KEYED_HASH_PREFIX + createHmac("sha256", secret).update(key).digest("hex");
}

/** Whether a stored lab key hash is the keyed form (else argon2). */
export function isKeyedKeyHash(hash: string): boolean {
  return /^hmac-sha256\$[0-9a-f]{64}$/.test(hash);
}

/** Whether `key` matches a stored keyed hash, in constant time. */
export function verifyKeyedKeyHash(secret: Uint8Array, hash: string, key: string): boolean {
  const expected = Buffer.from(keyedKeyHash(secret, key));
  const actual = Buffer.from(hash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A full digest used only as an in-memory cache key for keys already verified. */
export function labKeyDigest(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Whether a hash is a well-formed argon2 PHC string (bundles may carry hashes instead of secrets). */
export function isArgon2Hash(s: string): boolean {
  // The parameters (m, t, p) may come in any order: node-argon2 writes m=,p=,t=.
  const m = /^\$argon2(?:id|i|d)\$v=\d+\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(s);
  if (!m) return false;
  const keys = m[1]
    .split(",")
    .map((kv) => kv.split("=")[0])
    .sort()
    .join(",");
  return keys === "m,p,t";
}
