/**
 * The rule for an admin's password set from the command line (the first login of a production
 * center): at least 12 characters, not the login, not one character repeated, not a run such as
 * "123456789012" or "abcdefghijkl", and not one of the passwords every attacker tries first.
 */
export const STRONG_PASSWORD_MIN_LENGTH = 12;

export const STRONG_PASSWORD_RULE =
  `at least ${STRONG_PASSWORD_MIN_LENGTH} characters, not the login, not one character repeated, ` +
  `not a run of keys or digits, and not a commonly used password`;

// Lower-cased, with digits and punctuation around them stripped before the lookup (see below).
const COMMON = new Set([
  "password",
  "passw0rd",
  "p@ssw0rd",
  "p@ssword",
  "admin",
  "administrator",
  "adminpass",
  "admin-pass",
  "root",
  "toor",
  "letmein",
  "welcome",
  "qwerty",
  "qwertyuiop",
  "asdfghjkl",
  "zxcvbnm",
  "iloveyou",
  "changeme",
  "change-me",
  "secret",
  "printmesh",
  "trustno1",
  "dragon",
  "monkey",
  "football",
  "baseball",
  "sunshine",
  "master",
  "superman",
  "shadow",
]);

const RUNS = ["abcdefghijklmnopqrstuvwxyz", "0123456789012345678901234567890", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn"];

/** Null when the password is strong enough, else the reason (which never repeats the password). */
export function weakPasswordReason(password: string, login: string): string | null {
  if ([...password].length < STRONG_PASSWORD_MIN_LENGTH) return `it is shorter than ${STRONG_PASSWORD_MIN_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (login && lower.includes(login.toLowerCase())) return "it contains the login";
  if (new Set(lower).size <= 2) return "it repeats one or two characters";
  const isRun = (s: string) => RUNS.some((r) => r.includes(s) || [...r].reverse().join("").includes(s));
  if (isRun(lower)) return "it is a run of keys or digits";
  // "Password2024!", "admin-pass-123": a common word with digits or punctuation around it.
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/g, "");
  if (COMMON.has(lower) || COMMON.has(core) || (core.length > 0 && [...COMMON].some((w) => core === w.repeat(Math.round(core.length / w.length))))) {
    return "it is a commonly used password";
  }
  return null;
}
