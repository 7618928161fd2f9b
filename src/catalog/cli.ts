/**
 * The catalog bundle command line (contract, "Commands"):
 *
 *   node dist/src/catalog/cli.js import <bundle.json> [--dry-run]
 *   node dist/src/catalog/cli.js export <bundle.json | ->
 *
 * Works on the database named by DATABASE_URL and brings its schema up to date first, so no center
 * has to run. Progress goes to stderr, the summary to stdout, faults (one line each, with the JSON
 * path) to stderr. Exit codes: 0 done, 1 refused (faults) or failed, 2 usage error or a file that is
 * not readable JSON. Secrets are never printed: faults name rules and lengths, never values.
 */
import "reflect-metadata";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadConfig, type Config } from "../config";
import { openDatabase } from "../entities";
import { exportBundle } from "./bundle-export.service";
import { importBundle, IMPORT_KINDS, type ImportReport } from "./bundle-import.service";
import { runCommand } from "../common/command";

const USAGE = `usage:
  catalog import <bundle.json> [--dry-run]   validate and load a catalog bundle
  catalog export <bundle.json | ->           write the catalog as a bundle ("-": stdout)`;

class UsageError extends Error {}

interface Command {
  action: "import" | "export";
  file: string;
  dryRun: boolean;
}

export function parseArgs(argv: string[]): Command {
  const [action, ...rest] = argv;
  if (action !== "import" && action !== "export") throw new UsageError(action === undefined ? "no command given" : `unknown command "${action}"`);
  const flags = rest.filter((a) => a.startsWith("--"));
  const files = rest.filter((a) => !a.startsWith("--") || a === "-");
  for (const flag of flags) {
    if (!(action === "import" && flag === "--dry-run")) throw new UsageError(`unknown option "${flag}" for ${action}`);
  }
  if (files.length !== 1) throw new UsageError(`${action} takes exactly one file, got ${files.length}`);
  return { action, file: files[0], dryRun: flags.includes("--dry-run") };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export function formatSummary(report: ImportReport, dryRun: boolean): string {
  const rows = IMPORT_KINDS.map((k) => [k, String(report.created[k] ?? 0), String(report.updated[k] ?? 0), String(report.unchanged[k] ?? 0)]);
  const header = ["kind", "created", "updated", "unchanged"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const title = dryRun ? "import: dry run, the bundle is valid; nothing was written. It would change:" : "import: done.";
  return [title, line(header), ...rows.map(line)].join("\n") + "\n";
}

async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  let json: unknown;
  try {
    cmd = parseArgs(argv);
    json = cmd.action === "import" ? readJson(cmd.file) : undefined;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`catalog: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`catalog: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const ds = await openDatabase(config.database, { poolSize: 2 });
  try {
    if (cmd.action === "export") {
      const text = JSON.stringify(await exportBundle(ds), null, 2) + "\n";
      if (cmd.file === "-") process.stdout.write(text);
      else {
        // Written aside, then renamed in: a reader never sees half a bundle.
        const tmp = path.join(path.dirname(path.resolve(cmd.file)), `.${path.basename(cmd.file)}.${process.pid}.tmp`);
        fs.writeFileSync(tmp, text, { mode: 0o600 });
        fs.renameSync(tmp, cmd.file);
        process.stderr.write(`export: wrote ${cmd.file}\n`);
      }
      return 0;
    }

    const report = await importBundle(ds, json, {
      dryRun: cmd.dryRun,
      keyHashSecret: config.keyHashSecret,
      onProgress: (done, total, phase) => {
        // Steps with nothing to do, and the "0/n" of a starting step, are not worth a line.
        if (total > 0 && done > 0) process.stderr.write(`import: ${phase} ${done}/${total}\n`);
      },
    });
    if (!report.ok) {
      process.stderr.write(`import: refused, ${report.faults.length} fault${report.faults.length === 1 ? "" : "s"}; nothing was written.\n`);
      for (const f of report.faults) process.stderr.write(`  ${f.path}: ${f.code}: ${f.message}\n`);
      return 1;
    }
    process.stdout.write(formatSummary(report, cmd.dryRun));
    return 0;
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) runCommand("catalog", main);
