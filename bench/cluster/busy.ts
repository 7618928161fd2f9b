/**
 * Whether another cluster harness is running on this machine. The harness's start kills the
 * processes of any cluster folder it finds (the leftovers of a killed run); a run still going on,
 * another engineer's test for instance, must not be taken for one. Its processes are told apart by
 * their parent: a leftover's harness is gone (its processes were handed to init, or to whatever
 * adopts orphans), a running one's is alive. Read-only: nothing is killed here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CLUSTER_DIR_PREFIX } from "./daemons";

/** Fields of /proc/<pid>/stat after the command name, or null if the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** The cluster folders whose processes are alive and whose harness (their parent) is a live process of this machine other than init. */
export function clustersInUse(base = os.tmpdir()): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(base).filter((e) => e.startsWith(CLUSTER_DIR_PREFIX));
  } catch {
    return [];
  }
  const inUse: string[] = [];
  for (const entry of entries) {
    const pidDir = path.join(base, entry, "pids");
    let files: string[];
    try {
      files = fs.readdirSync(pidDir);
    } catch {
      continue;
    }
    const held = files.some((file) => {
      const [pid, started] = fs.readFileSync(path.join(pidDir, file), "utf8").trim().split(" ");
      const fields = statFields(Number(pid));
      // fields[1] is the parent's pid, fields[19] the start time the pid file recorded.
      if (fields === null || fields[19] !== started) return false;
      const parent = Number(fields[1]);
      if (parent <= 1 || statFields(parent) === null) return false;
      // A harness is a node process (a test run, a benchmark); an orphan's adopter is not.
      try {
        return path.basename(fs.readlinkSync(`/proc/${parent}/exe`)).startsWith("node");
      } catch {
        return true;
      }
    });
    if (held) inUse.push(path.join(base, entry));
  }
  return inUse;
}
