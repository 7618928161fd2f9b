/**
 * The error reference stays in step with the code: every error code the center or the lab daemon
 * uses (payload errors, thrown GraphQL errors, image refusals, bundle faults, job failures) is
 * listed in `docs/errors.md`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

const CODE = '"([A-Z][A-Z0-9_]{2,})"';
/** Where a code is given: the error helpers' first argument, an image refusal's second, a bundle fault's second, `code: "X"`, a socket refusal. */
const PATTERNS = [
  new RegExp(`\\b(?:userError|codedError|failure|JobFailure|CenterGraphQLError|KeyRefusedError)\\(\\s*${CODE}`, "g"),
  new RegExp(`\\bImageError\\(\\s*\\d+,\\s*${CODE}`, "g"),
  new RegExp(`\\.add\\((?:"[^"]*"|[^;"])*?,\\s*${CODE}`, "g"),
  new RegExp(`\\bcode: ${CODE}`, "g"),
  new RegExp(`\\brefusal\\([^;]*?,\\s*${CODE}\\)`, "g"),
];

/** Every code used in src/, with the files using it. */
function codesUsed(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of sourceFiles(path.join(root, "src"))) {
    const source = fs.readFileSync(file, "utf8");
    const found: string[] = [];
    // The codes the error formatter lets through unmasked (Apollo's among them).
    const publicCodes = /PUBLIC_CODES = new Set\(\[([^\]]*)\]/.exec(source);
    if (publicCodes) for (const m of publicCodes[1].matchAll(/"([A-Z][A-Z0-9_]+)"/g)) found.push(m[1]);
    for (const pattern of PATTERNS) for (const m of source.matchAll(pattern)) found.push(m[1]);
    for (const code of found) used.set(code, [...(used.get(code) ?? []), path.relative(root, file)]);
  }
  return used;
}

describe("the error reference", () => {
  const used = codesUsed();
  const documented = new Set([...fs.readFileSync(path.join(root, "docs/errors.md"), "utf8").matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]));

  it("finds the codes the code uses", () => {
    // A guard on the patterns themselves: one of each way a code is given.
    for (const code of [
      "QUOTE_MISMATCH",
      "FORBIDDEN",
      "NO_CAPABLE_LAB",
      "TOO_MANY_PIXELS",
      "CURRENCY_CHANGE",
      "CONCURRENT_CHANGE",
      "TOO_MANY_OPERATIONS",
      "GRAPHQL_PARSE_FAILED",
      "DOWNLOAD_FAILED",
    ]) {
      expect(used.has(code)).toBe(true);
    }
    expect(used.size).toBeGreaterThan(100);
  });

  it("lists every code in docs/errors.md", () => {
    const missing = [...used.keys()].filter((code) => !documented.has(code)).map((code) => `${code} (${[...new Set(used.get(code))].join(", ")})`);
    expect(missing).toEqual([]);
  });
});
