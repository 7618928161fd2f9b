/**
 * Runs a command-line entry point: its exit code, or 1 with a one-line message when it throws.
 * The message may hold the database URL, which may carry a password, so only its redacted form is
 * shown.
 */
import { redact } from "../config";

export function runCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${name}: failed: ${redact(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
