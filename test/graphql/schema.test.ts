/**
 * The committed schema.graphql is what the code emits, and it keeps the public contract.
 */
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaSdl } from "../../src/graphql/schema";

const ROOT = path.resolve(__dirname, "../..");

describe("schema.graphql", () => {
  it("is up to date with the code (run `npm run schema:emit` after changing the API)", async () => {
    const committed = fs.readFileSync(path.join(ROOT, "schema.graphql"), "utf8");
    expect(committed).toBe(await schemaSdl());
  });

  it("keeps the public contract", () => {
    const tool = path.resolve(ROOT, "../shared/tools/check-contract.cjs");
    if (!fs.existsSync(tool)) return; // the contract lives beside the repository in CI and development
    const out = execFileSync(process.execPath, [tool], { cwd: ROOT, encoding: "utf8" });
    expect(out).toMatch(/agrees with the public contract|keeps the whole public contract/);
  });
});
