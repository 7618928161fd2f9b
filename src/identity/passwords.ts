/**
 * Password and API-key hashing with argon2id. People's passwords use argon2's default cost; lab keys
 * are long random strings, so a lighter memory cost is enough and keeps daemon calls fast.
 */
import { createHash } from "node:crypto";
import * as argon2 from "argon2";

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_LAB_KEY_LENGTH = 24;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

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

/** The short, non-secret index of a lab key: enough to find its row, useless to recover the key. */
export function labKeyLookup(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
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
  const keys = m[1].split(",").map((kv) => kv.split("=")[0]).sort().join(",");
  return keys === "m,p,t";
}
