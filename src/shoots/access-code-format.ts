/**
 * The form of an access code, pure: twelve characters of an alphabet without look-alikes (no 0, O,
 * 1, I or L), shown in groups of four (`ABCD-EFGH-JKMN`) so that a card can be read aloud and
 * typed. 31 symbols, drawn uniformly (rejection sampling), make 12 x log2(31) = 59.4 random bits:
 * with guesses limited per address, no one finds a code by trying.
 */
import { randomBytes } from "node:crypto";

export const ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const ACCESS_CODE_LENGTH = 12;
const GROUP = 4;
/** The largest multiple of the alphabet's size under 256: bytes at or above it are drawn again. */
const FAIR_LIMIT = 256 - (256 % ACCESS_CODE_ALPHABET.length);
const NORMALISED_RE = new RegExp(`^[${ACCESS_CODE_ALPHABET}]{${ACCESS_CODE_LENGTH}}$`);
/** What a person may put between groups (and around a code): dashes and white space. */
const SEPARATORS_RE = /[\s\-\u2010-\u2015\u2212]/g;

/** A new code, grouped for showing (`XXXX-XXXX-XXXX`). */
export function newAccessCode(): string {
  let raw = "";
  while (raw.length < ACCESS_CODE_LENGTH) {
    for (const b of randomBytes(ACCESS_CODE_LENGTH * 2)) {
      if (b >= FAIR_LIMIT) continue;
      raw += ACCESS_CODE_ALPHABET[b % ACCESS_CODE_ALPHABET.length];
      if (raw.length === ACCESS_CODE_LENGTH) break;
    }
  }
  return groupCode(raw);
}

/** A normalised code in groups of four. */
export function groupCode(normalised: string): string {
  const groups: string[] = [];
  for (let i = 0; i < normalised.length; i += GROUP) groups.push(normalised.slice(i, i + GROUP));
  return groups.join("-");
}

/**
 * The code as typed, in the one form that is hashed: upper case, without dashes and spaces. Null
 * when it cannot be a code (a character outside the alphabet, a wrong length).
 */
export function normaliseAccessCode(typed: string): string | null {
  if (typed.length > 64) return null;
  const s = typed.replace(SEPARATORS_RE, "").toUpperCase();
  return NORMALISED_RE.test(s) ? s : null;
}
