/**
 * The admin command line: the first center admin of an empty (production) database.
 *
 *   node dist/src/identity/admin-cli.js create --login <login> --name <name>
 *
 * The password comes from ADMIN_PASSWORD, or is asked for twice in the terminal without echo; it is
 * never printed. Works on the database named by DATABASE_URL: a missing MariaDB/MySQL database is
 * created when the account may (else the message says what to run), and the schema is migrated.
 * Exit codes: 0 created, 1 refused (a weak password, a login taken) or failed, 2 bad usage.
 */
import "reflect-metadata";
import { parseArgs } from "node:util";
import { adminPasswordFromEnv, ConfigError, loadConfig, redact, type Config } from "../config";
import { openDatabase } from "../entities";
import { DatabaseSetupError, ensureDatabase } from "../db/ensure-database";
import { checkNewAdmin, createCenterAdmin } from "./admin-account.service";
import { STRONG_PASSWORD_RULE } from "./password-policy";
import { runCommand } from "../common/command";

const USAGE = `usage:
  admin create --login <login> --name <name>   add a center admin (the password from
                                               ADMIN_PASSWORD, or asked for in the terminal)

  A password must be ${STRONG_PASSWORD_RULE}.`;

class UsageError extends Error {}

export function parseCommand(argv: string[]): { login: string; name: string } {
  const [action, ...rest] = argv;
  if (action !== "create") throw new UsageError(action === undefined ? "no command given" : `unknown command "${action}"`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: { login: { type: "string" }, name: { type: "string" } } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const missing = (["login", "name"] as const).filter((k) => (values[k] ?? "").trim() === "").map((k) => `--${k} is required`);
  if (missing.length > 0) throw new UsageError(missing.join("\n"));
  return { login: values.login!.trim(), name: values.name!.trim() };
}

/**
 * Reads lines from the terminal without showing them: the terminal is put in raw mode (no echo) for
 * as long as the answers take. Typed ahead or pasted lines are kept for the next question.
 */
function hiddenLines(): { ask(prompt: string): Promise<string>; close(): void } {
  const stdin = process.stdin;
  const lines: string[] = [];
  let current = "";
  let waiting: { resolve(line: string): void; reject(e: Error): void } | null = null;
  let cancelled = false;
  const onData = (chunk: string) => {
    for (const ch of chunk) {
      if (ch === "\r" || ch === "\n") {
        lines.push(current);
        current = "";
      } else if (ch === "\u0003" || ch === "\u0004") cancelled = true;
      else if (ch === "\u007f" || ch === "\b") current = current.slice(0, -1);
      else if (ch >= " ") current += ch;
    }
    deliver();
  };
  const deliver = () => {
    if (!waiting) return;
    const w = waiting;
    if (cancelled) {
      waiting = null;
      process.stderr.write("\n");
      w.reject(new UsageError("cancelled"));
    } else if (lines.length > 0) {
      waiting = null;
      process.stderr.write("\n");
      w.resolve(lines.shift()!);
    }
  };
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.on("data", onData);
  stdin.resume();
  return {
    ask: (prompt) =>
      new Promise((resolve, reject) => {
        process.stderr.write(prompt);
        waiting = { resolve, reject };
        deliver();
      }),
    close: () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}

async function password(): Promise<string> {
  const fromEnv = adminPasswordFromEnv();
  if (fromEnv !== null) return fromEnv;
  if (!process.stdin.isTTY) throw new UsageError("no password: set ADMIN_PASSWORD, or run the command in a terminal to be asked for it");
  const terminal = hiddenLines();
  try {
    const first = await terminal.ask("password: ");
    const again = await terminal.ask("password again: ");
    if (first !== again) throw new UsageError("the two passwords differ");
    return first;
  } finally {
    terminal.close();
  }
}

/** The option (or the password) a fault is about, as the operator typed it. */
function fieldName(field: string[] | null | undefined): string {
  const f = field?.join(".") ?? "";
  return f === "login" || f === "name" ? `--${f}` : f;
}

async function main(argv: string[]): Promise<number> {
  let cmd: { login: string; name: string };
  let config: Config;
  let secret: string;
  try {
    cmd = parseCommand(argv);
    config = loadConfig();
    secret = await password();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`admin: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`admin: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  // Refused before the database is touched.
  const faults = checkNewAdmin({ ...cmd, password: secret });
  if (faults.length > 0) {
    for (const f of faults) process.stderr.write(`admin: refused: ${fieldName(f.field)}: ${f.code}: ${f.message}\n`);
    return 1;
  }

  try {
    if (await ensureDatabase(config.database))
      process.stderr.write(`admin: created the database ${config.database.type === "mysql" ? config.database.database : ""}\n`);
  } catch (e) {
    if (e instanceof DatabaseSetupError) {
      process.stderr.write(`admin: ${redact(e.message)}\n`);
      return 1;
    }
    throw e;
  }
  const ds = await openDatabase(config.database, { poolSize: 2 });
  try {
    const outcome = await createCenterAdmin(ds, { ...cmd, password: secret });
    if (outcome.errors.length > 0) {
      for (const f of outcome.errors) process.stderr.write(`admin: refused: ${fieldName(f.field)}: ${f.code}: ${f.message}\n`);
      return 1;
    }
    process.stdout.write(`admin: created the center admin ${outcome.user!.login} (${outcome.user!.name}); log in with the login and password given\n`);
    return 0;
  } finally {
    await ds.destroy();
  }
}

if (require.main === module) runCommand("admin", main);
