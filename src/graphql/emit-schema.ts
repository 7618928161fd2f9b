/** Writes schema.graphql from the code (npm run schema:emit). A test fails when the file is stale. */
import "reflect-metadata";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaSdl } from "./schema";

void (async () => {
  const file = path.resolve(process.argv[2] ?? "schema.graphql");
  fs.writeFileSync(file, await schemaSdl());
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
})();
