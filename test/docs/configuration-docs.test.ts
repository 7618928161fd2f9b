/**
 * The configuration reference stays in step with the code: every variable `src/config.ts` reads is
 * described in `docs/configuration.md` and in the README's table, and neither names a variable the
 * center does not read.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const read = (file: string): string => fs.readFileSync(path.join(root, file), "utf8");

/** The names `loadConfig` reads: `get("X")`, `int("X", ...)`, `bool("X", ...)`. */
function variablesRead(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\b(?:get|int|bool)\("([A-Z][A-Z0-9_]+)"/g)) names.add(m[1]);
  return [...names].sort();
}

/** The variables named in a markdown table's first column: `| \`A\`, \`B\` | ...`. */
function variablesDocumented(markdown: string): string[] {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const first = /^\|([^|]+)\|/.exec(line)?.[1] ?? "";
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]);
  }
  return [...names].sort();
}

/** Variables read by commands, not by the center's configuration. */
const COMMAND_VARIABLES = ["ADMIN_PASSWORD", "PRINTMESH_LAB_KEY"];

describe("the configuration reference", () => {
  const inCode = variablesRead(read("src/config.ts"));

  it("finds the variables the code reads", () => {
    // A guard on the pattern itself: a few that must be there.
    expect(inCode).toEqual(expect.arrayContaining(["DATABASE_URL", "JWT_SECRET", "NODE_ENV", "WS_MAX_OPERATIONS", "IMAGE_MAX_PIXELS"]));
    expect(inCode.length).toBeGreaterThan(40);
  });

  it.each(["docs/configuration.md", "README.md"])("%s describes every variable the center reads, and no other", (file) => {
    const documented = variablesDocumented(read(file)).filter((v) => !COMMAND_VARIABLES.includes(v));
    expect(inCode.filter((v) => !documented.includes(v))).toEqual([]);
    expect(documented.filter((v) => !inCode.includes(v))).toEqual([]);
  });
});
