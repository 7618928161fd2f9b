// Compiles the project once before any test file runs: tests that start real processes (the
// center, the catalog CLI, later the lab daemon) run the compiled dist/ output, and one build
// avoids parallel test files writing dist/ at the same time.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

module.exports = async () => {
  const root = path.resolve(__dirname, "..");
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], { cwd: root, stdio: "inherit" });
};
