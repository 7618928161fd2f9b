/**
 * What the Docker image needs, checked without a Docker engine: the build context leaves out the
 * local install, build output, data (the JWT secret) and git; every command documented for the
 * image is a compiled file the image holds; those entry points load production dependencies only
 * (the image prunes the rest); the compose file is valid.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");
const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** The run stage of the Dockerfile: what the image holds. */
function runStage(): string {
  const text = read("docker/Dockerfile");
  return text.slice(text.indexOf("AS run"));
}

/** Every `node <file>` command the README, the deployment guide, the compose file and the Dockerfile give for the image. */
function documentedImageCommands(): string[] {
  const sources = ["README.md", "docs/deployment.md", "docker/Dockerfile", "docker/compose.yml"].map(read).join("\n");
  const files = new Set<string>();
  for (const m of sources.matchAll(/node"?,?\s+"?((?:dist|node_modules)\/[\w./-]+\.js)/g)) files.add(m[1]);
  return [...files].sort();
}

describe("the Docker image", () => {
  it(".dockerignore keeps node_modules, dist, data, .git and local secrets out of the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining(["node_modules", "dist", "data", ".git", ".env", "docker/lab-key"]));
    // What the build stage copies is not ignored.
    for (const kept of ["src", "bench", "package.json", "package-lock.json", ".npmrc", "tsconfig.json", "ormconfig.ts", "schema.graphql", "fixtures"]) {
      expect(ignored).not.toContain(kept);
    }
  });

  it("holds the compiled code, its production dependencies and the fixtures, and starts the center with node itself", () => {
    const stage = runStage();
    expect(stage).toMatch(/COPY --from=build \S+ \/app\/node_modules \.\/node_modules/);
    expect(stage).toMatch(/COPY --from=build \S+ \/app\/dist \.\/dist/);
    expect(stage).toMatch(/COPY \S+ fixtures \.\/fixtures/);
    expect(read("docker/Dockerfile")).toMatch(/RUN npm run build && npm prune --omit=dev/);
    // node as PID 1 gets docker stop's SIGTERM; npm would not pass it on.
    expect(stage).toMatch(/^CMD \["node", "dist\/src\/main\.js"\]$/m);
    expect(stage).not.toMatch(/CMD \["npm"/);
  });

  it("every documented image command is a file the build produces", () => {
    const commands = documentedImageCommands();
    expect(commands).toEqual(
      expect.arrayContaining([
        "dist/src/main.js",
        "dist/src/identity/admin-cli.js",
        "dist/src/catalog/cli.js",
        "dist/src/lab-daemon/main.js",
        "node_modules/typeorm/cli.js",
      ]),
    );
    for (const file of commands) expect({ file, exists: fs.existsSync(path.join(ROOT, file)) }).toEqual({ file, exists: true });
  });

  it.each([
    ["dist/src/main.js", [], { PORT: "eighty" }, /PORT must be a whole number/],
    ["dist/src/identity/admin-cli.js", [], {}, /admin: no command given/],
    ["dist/src/catalog/cli.js", [], {}, /catalog: no command given/],
    ["dist/src/lab-daemon/main.js", ["--help"], {}, /usage: printmesh-lab/],
  ])("%s runs from dist/ and loads production dependencies only", (entry, args, env, said) => {
    // A preload records every package the project's compiled code requires.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-deps-"));
    const hook = path.join(dir, "hook.js");
    const log = path.join(dir, "required.txt");
    fs.writeFileSync(
      hook,
      `const Module = require("node:module"); const fs = require("node:fs");
       const dist = ${JSON.stringify(path.join(ROOT, "dist") + path.sep)}; const seen = new Set();
       const load = Module._load;
       Module._load = function (request, parent, ...rest) {
         if (parent && parent.filename && parent.filename.startsWith(dist) && !request.startsWith(".") && !request.startsWith("/") && !Module.isBuiltin(request)) seen.add(request);
         return load.call(this, request, parent, ...rest);
       };
       process.on("exit", () => fs.writeFileSync(${JSON.stringify(log)}, [...seen].join("\\n")));`,
    );
    try {
      const r = spawnSync(process.execPath, ["-r", hook, path.join(ROOT, entry), ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", DATA_DIR: dir, ...env },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.stdout + r.stderr).toMatch(said);
      const packages = [
        ...new Set(
          fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((r) => (r.startsWith("@") ? r.split("/").slice(0, 2).join("/") : r.split("/")[0])),
        ),
      ];
      expect(packages.length).toBeGreaterThan(0);
      expect(packages.filter((p) => !(p in pkg.dependencies))).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const compose = spawnSync("docker-compose", ["version"]).status === 0;
  (compose ? it : it.skip)("docker/compose.yml is valid, with and without the lab profile", () => {
    const env = { ...process.env, JWT_SECRET: "ci-only-placeholder-secret-32-characters" };
    execFileSync("docker-compose", ["-f", "docker/compose.yml", "config", "-q"], { cwd: ROOT, env, stdio: "pipe" });
    const lab = execFileSync("docker-compose", ["-f", "docker/compose.yml", "--profile", "lab", "config"], { cwd: ROOT, env, encoding: "utf8" });
    expect(lab).toContain("/run/secrets/lab_key");
    expect(lab).not.toMatch(/--key\s*\n\s*-\s/);
  });
});
