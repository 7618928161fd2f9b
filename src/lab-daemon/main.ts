#!/usr/bin/env node
/**
 * printmesh-lab: the lab daemon's entry point (`npm run lab -- --url <center> --key <lab-api-key>
 * --out <hot-folder>`). Parses and checks the arguments, starts the daemon, and turns SIGTERM and
 * SIGINT into a graceful stop. Exit codes: 0 stopped on a signal, 1 failed, 2 bad usage, 3 the
 * center refused the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { centerBaseUrl } from "./center-client";
import { EXIT, LabDaemon, type DaemonOptions } from "./daemon";
import { DIALECTS, ProfileError, loadProfile, type Dialect } from "./dialects/profile";
import { StateLockedError } from "./journal";
import { parseSheetSize, type SheetSize } from "./print-files";

const USAGE = `usage: printmesh-lab --url <center> --key-file <file> --out <hot-folder> [options]
usage: printmesh-lab --url <center> --key <lab-api-key> --out <hot-folder> [options]   (shows the key in the process list)

  --url <url>             the center's base URL, e.g. http://localhost:4000
  --key-file <file>       a file holding the lab's API key (or set PRINTMESH_LAB_KEY)
  --key <key>             the key itself: shows in the process list, prefer the two above
  --out <dir>             the printer's hot folder: one folder per job appears in it, whole
  --state <dir>           journal and work folders (default <out>/.printmesh-lab)
  --sheet <size>          override the paper the order names (its service's print size; A4 when
                          it names none): A3 A4 A5 A6 B5 LETTER POSTCARD L 2L KG or WxH in mm,
                          optionally -LANDSCAPE, for every service; SERVICE=SIZE for one service,
                          e.g. --sheet SV02=POSTCARD (repeatable)
  --dpi <n>               print resolution (default 300)
  --format jpeg|pdf       print file format (default jpeg)
  --templates <dir>       the design templates this lab holds (file name = template id)
  --library <dir>         the lab's copies of stock images the center has no bytes of
                          (file name = image id)
  --concurrency <n>       jobs worked on at once (default 1)
  --load-every <s>        report the lab's load every s seconds (default 30)
  --history-every <s>     report printing history every s seconds (default 60)
  --resync-every <s>      when idle, ask for the backlog again every s seconds (default 30)
  --printer <name>        the printer's name in the printing history (default: host name)
  --dialect <d>           what the hot folder holds: plain (print files and a ticket, default),
                          dpof (Noritsu EZ Controller / QSS, Epson: o<order>_<size>/ folders with
                          MISC/AUTPRINT.MRK) or frontier (Fujifilm JobMaker: <order>_<surface>.txt);
                          dpof and frontier wait for the controller to take each order
  --profile <file>        the lab's controller settings (JSON): DPOF image folder, spacing, size
                          codes and channels, Frontier printer, surface, print codes, the path the
                          controller sees, how long to wait for its answer
  --accept-timeout <s>    how long to wait for the controller's answer (default: the profile's, 600)
  -h, --help              this text

exit codes: 0 stopped (SIGTERM/SIGINT), 1 failed, 2 bad usage, 3 the center refused the key`;

class UsageError extends Error {}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): DaemonOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: "string" },
        key: { type: "string" },
        "key-file": { type: "string" },
        out: { type: "string" },
        state: { type: "string" },
        sheet: { type: "string", multiple: true },
        dpi: { type: "string" },
        format: { type: "string" },
        templates: { type: "string" },
        library: { type: "string" },
        concurrency: { type: "string" },
        "load-every": { type: "string" },
        "history-every": { type: "string" },
        "resync-every": { type: "string" },
        printer: { type: "string" },
        dialect: { type: "string" },
        profile: { type: "string" },
        "accept-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (values.help) return "help";

  const faults: string[] = [];
  const need = (name: string, v: string | undefined): string => {
    if (v === undefined || v.trim() === "") faults.push(`--${name} is required`);
    return (v ?? "").trim();
  };
  const url = need("url", values.url);
  if (url) {
    try {
      centerBaseUrl(url);
    } catch (e) {
      faults.push((e as Error).message);
    }
  }
  const sources = [values.key !== undefined && "--key", values["key-file"] !== undefined && "--key-file"].filter(Boolean);
  if (sources.length > 1) faults.push("give the key once: --key or --key-file, not both");
  let key = values.key ?? env.PRINTMESH_LAB_KEY;
  if (values["key-file"] !== undefined) {
    try {
      // The file holds the key and perhaps a final newline; nothing else is read from it.
      key = fs.readFileSync(values["key-file"], "utf8").trim();
      if (key === "") faults.push(`--key-file ${values["key-file"]} is empty`);
    } catch (e) {
      faults.push(`--key-file ${values["key-file"]} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (key === undefined || key.trim() === "") faults.push("--key-file or --key is required (or set PRINTMESH_LAB_KEY)");
  const out = need("out", values.out);
  const number = (name: string, raw: string | undefined, dflt: number, min: number, max: number, integer: boolean): number => {
    if (raw === undefined) return dflt;
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      faults.push(`--${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got "${raw}"`);
      return dflt;
    }
    return n;
  };
  const dpi = number("dpi", values.dpi, 300, 10, 2400, true);
  const concurrency = number("concurrency", values.concurrency, 1, 1, 32, true);
  const loadEverySeconds = number("load-every", values["load-every"], 30, 0.1, 86400, false);
  const historyEverySeconds = number("history-every", values["history-every"], 60, 0.1, 86400, false);
  const resyncEverySeconds = number("resync-every", values["resync-every"], 30, 0.1, 86400, false);
  const format = (values.format ?? "jpeg").toLowerCase();
  if (format !== "jpeg" && format !== "jpg" && format !== "pdf") faults.push(`--format must be jpeg or pdf, got "${values.format}"`);
  const dialect = (values.dialect ?? "plain").toLowerCase() as Dialect;
  if (!DIALECTS.includes(dialect)) faults.push(`--dialect must be ${DIALECTS.join(", ")}, got "${values.dialect}"`);
  if (dialect !== "plain" && format === "pdf") faults.push(`--format pdf: the ${dialect} dialect prints JPEG images`);
  let profile = loadProfile(null);
  try {
    profile = loadProfile(values.profile === undefined ? null : values.profile);
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    faults.push(e.message);
  }
  if (values["accept-timeout"] !== undefined) {
    profile.acceptTimeoutSeconds = number("accept-timeout", values["accept-timeout"], profile.acceptTimeoutSeconds, 0.1, 86400, false);
  }

  let sheet: SheetSize | null = null;
  const sheetByService = new Map<string, SheetSize>();
  for (const spec of values.sheet ?? []) {
    const eq = spec.indexOf("=");
    try {
      if (eq >= 0) {
        const service = spec.slice(0, eq).trim();
        if (!service) throw new RangeError(`--sheet ${spec}: name the service before "="`);
        sheetByService.set(service, parseSheetSize(spec.slice(eq + 1)));
      } else {
        sheet = parseSheetSize(spec);
      }
    } catch (e) {
      faults.push(`--sheet: ${(e as Error).message}`);
    }
  }

  const templatesDir = values.templates ? path.resolve(values.templates) : null;
  if (templatesDir && !isDir(templatesDir)) faults.push(`--templates ${values.templates} is not a folder`);
  const libraryDir = values.library ? path.resolve(values.library) : null;
  if (libraryDir && !isDir(libraryDir)) faults.push(`--library ${values.library} is not a folder`);
  const outDir = out ? path.resolve(out) : "";
  if (outDir && fs.existsSync(outDir) && !isDir(outDir)) faults.push(`--out ${out} is not a folder`);

  if (faults.length > 0) throw new UsageError(faults.join("\n"));
  return {
    url,
    key: key!.trim(),
    out: outDir,
    stateDir: values.state ? path.resolve(values.state) : path.join(outDir, ".printmesh-lab"),
    sheet,
    sheetByService,
    dpi,
    format: format === "pdf" ? "pdf" : "jpeg",
    loadEverySeconds,
    historyEverySeconds,
    resyncEverySeconds,
    concurrency,
    templatesDir,
    libraryDir,
    printer: values.printer ?? null,
    pauseAfter: parsePause(env.PRINTMESH_LAB_PAUSE_AFTER),
    dialect,
    profile,
  };
}

/**
 * Fault injection for the end-to-end tests: PRINTMESH_LAB_PAUSE_AFTER=claimed:5000, publishing:5000
 * (the files complete in their temporary folder, not yet renamed in) or written:5000.
 */
function parsePause(raw: string | undefined): DaemonOptions["pauseAfter"] {
  const m = /^(claimed|publishing|written):(\d{1,7})$/.exec(raw ?? "");
  return m ? { step: m[1] as "claimed" | "publishing" | "written", ms: Number(m[2]) } : null;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Exits with `code` once everything written to stdout and stderr has left the process. Writes to a
 * pipe whose reader is behind (a full pipe: a log collector, a supervisor) are queued in the
 * process, and process.exit drops them: the operator would lose the last lines ("stopped", the
 * jobs finished on the way out). A reader that never drains does not hold the exit for long.
 */
export function exitWhenFlushed(code: number, limitMs = 5000): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  // A write's callback runs once it and every write before it have been handed to the OS.
  process.stdout.write("", done);
  process.stderr.write("", done);
  setTimeout(() => process.exit(code), limitMs).unref();
}

async function main(): Promise<void> {
  let opts: DaemonOptions | "help";
  try {
    opts = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`printmesh-lab: ${e.message}\n\n${USAGE}\n`);
      return exitWhenFlushed(EXIT.USAGE);
    }
    throw e;
  }
  if (opts === "help") {
    process.stdout.write(USAGE + "\n");
    return;
  }
  if (process.argv.slice(2).some((a) => a === "--key" || a.startsWith("--key="))) {
    process.stderr.write("printmesh-lab: warning: --key shows the lab's key in the process list; use --key-file or PRINTMESH_LAB_KEY\n");
  }
  const daemon = new LabDaemon(opts);
  let signals = 0;
  const onSignal = (signal: string) => {
    signals += 1;
    if (signals > 1) {
      // The journal makes a hard stop safe: the next start picks up where this one was.
      process.stderr.write(`printmesh-lab: ${signal} again: stopping now\n`);
      process.exit(EXIT.FAILED);
    }
    void daemon.stop();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof StateLockedError) {
      process.stderr.write(`printmesh-lab: ${e.message}\n`);
      return exitWhenFlushed(EXIT.FAILED);
    }
    throw e;
  }
  exitWhenFlushed(await daemon.exited);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`printmesh-lab: failed: ${e instanceof Error ? e.message : String(e)}\n`);
    exitWhenFlushed(EXIT.FAILED);
  });
}
