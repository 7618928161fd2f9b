/**
 * What the daemon does on start with what a previous run left (no center needed): a job claimed
 * but not written is carried on with its lease, a half-published one is removed and carried on
 * likewise, a published one (its temporary folder gone) and a written one are to be completed, history waiting is kept, and stray temporary
 * folders are cleaned up. A second daemon on the same state folder is refused.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { LabDaemon, type DaemonOptions } from "../../src/lab-daemon/daemon";
import { chooseTmpRoot } from "../../src/lab-daemon/hot-folder";
import { Journal, StateLockedError } from "../../src/lab-daemon/journal";
import { parseSheetSize } from "../../src/lab-daemon/print-files";
import { until } from "../support/until";

let root: string;
let out: string;
let state: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-recover-"));
  out = path.join(root, "hot");
  state = path.join(out, ".printmesh-lab");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function deadUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

function options(url: string, lines: string[]): DaemonOptions {
  return {
    url,
    key: "k",
    out,
    stateDir: state,
    sheet: parseSheetSize("A4"),
    dpi: 30,
    format: "jpeg",
    loadEverySeconds: 60,
    historyEverySeconds: 60,
    resyncEverySeconds: 60,
    concurrency: 1,
    templatesDir: null,
    say: (line) => lines.push(line),
    backoff: { baseMs: 50, capMs: 200 },
    stopGraceMs: 200,
  };
}

describe("recovery on start", () => {
  it("reconciles the journal with the hot folder", async () => {
    fs.mkdirSync(out, { recursive: true });
    const tmpRoot = chooseTmpRoot(out, state);
    const { journal } = Journal.open(state);
    const entry = { jobId: "J5", printedAt: "2026-04-01T00:00:00.000Z", sheets: 1, printer: null, ok: true };
    // J1: claimed, nothing written.
    journal.append({ op: "claimed", job: "J1", order: "O1", token: "t1", expires: null, attempts: 0 });
    // J2: files complete in its temporary folder, killed before the rename.
    const tmp2 = path.join(tmpRoot, "job-J2.1.aa");
    fs.mkdirSync(tmp2);
    fs.writeFileSync(path.join(tmp2, "ticket.json"), "{}");
    journal.append({ op: "claimed", job: "J2", order: "O2", token: "t2", expires: null, attempts: 1 });
    journal.append({ op: "publishing", job: "J2", tmp: tmp2, dir: path.join(out, "job-J2"), sheets: 1 });
    // J3: renamed in, killed before "written" was recorded.
    fs.mkdirSync(path.join(out, "job-J3"));
    journal.append({ op: "claimed", job: "J3", order: "O3", token: "t3", expires: null });
    journal.append({ op: "publishing", job: "J3", tmp: path.join(tmpRoot, "job-J3.1.bb"), dir: path.join(out, "job-J3"), sheets: 2 });
    // J4: written, not completed.
    journal.append({ op: "claimed", job: "J4", order: "O4", token: "t4", expires: null });
    journal.append({ op: "written", job: "J4", dir: path.join(out, "job-J4"), sheets: 1 });
    // J5: completed, its history not yet reported.
    journal.append({ op: "claimed", job: "J5", order: "O5", token: "t5", expires: null });
    journal.append({ op: "written", job: "J5", dir: path.join(out, "job-J5"), sheets: 1 });
    journal.append({ op: "completed", job: "J5", history: entry });
    journal.close();
    // A temporary folder the journal never heard of (killed right after creating it).
    fs.mkdirSync(path.join(tmpRoot, "job-J9.1.cc"));

    const lines: string[] = [];
    const daemon = new LabDaemon(options(await deadUrl(), lines));
    await daemon.start();
    try {
      expect(lines.slice(0, 6)).toEqual([
        "job J1 was not written when the daemon stopped: writing it now with the lease the journal holds",
        "job J2 was half-written when the daemon stopped: removed, writing it again now with the lease the journal holds",
        "job J3 is in the hot folder but was not completed: completing it",
        "job J4 is in the hot folder but was not completed: completing it",
        "removed 2 half-written job folder(s) left by a previous run",
        "1 printing history entry to report",
      ]);
      expect(fs.readdirSync(tmpRoot)).toEqual([]);
      expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual(["job-J3"]);
      // The center is not there: the daemon says so and keeps trying.
      await until(
        "the daemon to say the center is unreachable",
        () => lines.some((l) => /^center unreachable at http:\/\/127\.0\.0\.1:\d+, retrying in \d+s$/.test(l)),
        { timeoutMs: 5000, detail: () => lines.join("\n") },
      );
      // A second daemon on the same state folder is refused.
      await expect(new LabDaemon(options("http://127.0.0.1:1", [])).start()).rejects.toBeInstanceOf(StateLockedError);
    } finally {
      await daemon.stop();
    }
    expect(await daemon.exited).toBe(0);
    const after = Journal.open(state).journal;
    // J1 and J2 keep their leases (the center never answered): the next start writes them with those.
    expect(after.all().map((r) => [r.jobId, r.state, r.leaseToken, r.attempts])).toEqual([
      ["J1", "claimed", "t1", 0],
      ["J2", "claimed", "t2", 1],
      ["J3", "written", "t3", null],
      ["J4", "written", "t4", null],
      ["J5", "completed", null, null],
    ]);
    expect(after.pendingHistory()).toEqual([entry]);
    after.close();
    expect(fs.existsSync(path.join(state, "daemon.pid"))).toBe(false);
  });
});
