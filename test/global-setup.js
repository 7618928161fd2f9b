// Compiles the project once before any test file runs: tests that start real processes (the
// center, the catalog CLI, the lab daemon) run the compiled dist/ output, and one build avoids
// parallel test files writing dist/ at the same time. Type errors are the type-check's job
// (`npm run typecheck`, run first in CI): tsc still emits, so they only warn here.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

module.exports = async () => {
  const root = path.resolve(__dirname, "..");
  try {
    execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], { cwd: root, stdio: "pipe" });
  } catch (e) {
    process.stderr.write(`\nwarning: tsc reported errors while building dist/ for the tests:\n${String(e.stdout ?? "").slice(0, 4000)}\n`);
  }
  if (!fs.existsSync(path.join(root, "dist/src/main.js"))) throw new Error("dist/src/main.js was not built");
};
