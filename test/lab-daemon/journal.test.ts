/**
 * The lab daemon's journal: replay, a torn last line after a crash, compaction, a process killed
 * with SIGKILL while appending, and the state folder's lock.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { JOURNAL_FILE, Journal, StateLockedError, lockStateDir, type HistoryEntry } from "../../src/lab-daemon/journal";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-journal-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const history = (jobId: string): HistoryEntry => ({ jobId, printedAt: "2026-04-01T09:00:00.000Z", sheets: 3, printer: "p1", ok: true });
const lines = () =>
  fs
    .readFileSync(path.join(dir, JOURNAL_FILE), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("journal", () => {
  it("replays each job's steps after a reopen, and drops jobs forgotten or reported", () => {
    let clock = Date.parse("2026-04-01T09:00:00Z");
    const now = () => new Date((clock += 1000));
    const { journal } = Journal.open(dir, { now });
    journal.append({ op: "claimed", job: "J1", order: "O1", token: "t1", expires: "2026-04-01T09:10:00.000Z" });
    journal.append({ op: "claimed", job: "J2", order: "O2", token: "t2", expires: null });
    journal.append({ op: "publishing", job: "J2", tmp: "/tmp/x", dir: "/out/job-J2", sheets: 4 });
    journal.append({ op: "claimed", job: "J3", order: "O3", token: "t3", expires: null });
    journal.append({ op: "publishing", job: "J3", tmp: "/tmp/y", dir: "/out/job-J3", sheets: 2 });
    journal.append({ op: "written", job: "J3", dir: "/out/job-J3", sheets: 2 });
    journal.append({ op: "claimed", job: "J4", order: "O4", token: "t4", expires: null });
    journal.append({ op: "written", job: "J4", dir: "/out/job-J4", sheets: 1 });
    journal.append({ op: "completed", job: "J4", history: history("J4") });
    journal.append({ op: "claimed", job: "J5", order: "O5", token: "t5", expires: null });
    journal.append({ op: "forget", job: "J5", why: "TEMPLATE_MISSING" });
    journal.append({ op: "claimed", job: "J6", order: "O6", token: "t6", expires: null });
    journal.append({ op: "written", job: "J6", dir: "/out/job-J6", sheets: 1 });
    journal.append({ op: "completed", job: "J6", history: history("J6") });
    journal.append({ op: "reported", jobs: ["J6"] });
    journal.close();

    const { journal: again, report } = Journal.open(dir, { now });
    expect(report).toEqual({ lines: 15, tornTail: false, unreadable: 0 });
    expect(again.all().map((r) => [r.jobId, r.state, r.leaseToken, r.tmp, r.dir, r.sheets])).toEqual([
      ["J1", "claimed", "t1", null, null, null],
      ["J2", "publishing", "t2", "/tmp/x", "/out/job-J2", 4],
      ["J3", "written", "t3", null, "/out/job-J3", 2],
      ["J4", "completed", null, null, "/out/job-J4", 1],
    ]);
    expect(again.get("J3")!.writtenAt).toBe("2026-04-01T09:00:06.000Z");
    expect(again.pendingHistory()).toEqual([history("J4")]);
    // The file was rewritten as one state line per live job.
    expect(lines().map((l) => [l.op, l.record.jobId])).toEqual([
      ["state", "J1"],
      ["state", "J2"],
      ["state", "J3"],
      ["state", "J4"],
    ]);
    again.close();
    const third = Journal.open(dir).journal;
    expect(third.all()).toEqual(again.all());
    third.close();
  });

  it("keeps a written job written when it is claimed again (to be completed, not rewritten)", () => {
    const { journal } = Journal.open(dir);
    journal.append({ op: "claimed", job: "J1", order: "O1", token: "old", expires: null });
    journal.append({ op: "written", job: "J1", dir: "/out/job-J1", sheets: 2 });
    const writtenAt = journal.get("J1")!.writtenAt;
    journal.append({ op: "claimed", job: "J1", order: "O1", token: "new", expires: null });
    expect(journal.get("J1")).toMatchObject({ state: "written", leaseToken: "new", dir: "/out/job-J1", sheets: 2, writtenAt });
    journal.close();
  });

  it("keeps the lease a claim was granted with (token, expiry, attempts) over a reopen; a journal without attempts reads null", () => {
    fs.writeFileSync(
      path.join(dir, JOURNAL_FILE),
      [
        { op: "claimed", job: "J1", order: "O1", token: "t1", expires: "2026-04-01T09:10:00.000Z", at: "2026-04-01T09:00:00.000Z" },
        {
          op: "state",
          record: {
            jobId: "J2",
            orderId: "O2",
            state: "claimed",
            leaseToken: "t2",
            leaseExpiresAt: null,
            tmp: null,
            dir: null,
            sheets: null,
            writtenAt: null,
            history: null,
          },
          at: "2026-04-01T09:00:01.000Z",
        },
      ]
        .map((l) => JSON.stringify(l) + "\n")
        .join(""),
    );
    const { journal } = Journal.open(dir);
    journal.append({ op: "claimed", job: "J3", order: "O3", token: "t3", expires: "2026-04-01T09:20:00.000Z", attempts: 2 });
    journal.close();
    const again = Journal.open(dir).journal;
    expect(again.all().map((r) => [r.jobId, r.state, r.leaseToken, r.leaseExpiresAt, r.attempts])).toEqual([
      ["J1", "claimed", "t1", "2026-04-01T09:10:00.000Z", null],
      ["J2", "claimed", "t2", null, null],
      ["J3", "claimed", "t3", "2026-04-01T09:20:00.000Z", 2],
    ]);
    again.close();
  });

  it("drops a torn last line (a crash mid-append) and appends cleanly after it", () => {
    const { journal } = Journal.open(dir);
    journal.append({ op: "claimed", job: "J1", order: "O1", token: "t1", expires: null });
    journal.close();
    fs.appendFileSync(path.join(dir, JOURNAL_FILE), '{"op":"written","job":"J1","di');
    const { journal: again, report } = Journal.open(dir);
    expect(report).toEqual({ lines: 1, tornTail: true, unreadable: 0 });
    expect(again.get("J1")!.state).toBe("claimed");
    again.append({ op: "written", job: "J1", dir: "/out/job-J1", sheets: 1 });
    again.close();
    expect(Journal.open(dir).journal.get("J1")!.state).toBe("written");
  });

  it("skips an unreadable line in the middle and an op it does not know", () => {
    const file = path.join(dir, JOURNAL_FILE);
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ op: "claimed", job: "J1", order: "O1", token: "t", expires: null, at: "2026-04-01T00:00:00Z" }),
        "garbage",
        JSON.stringify({ op: "from-the-future", job: "J1" }),
        JSON.stringify({ op: "written", job: "J1", dir: "/d", sheets: 1, at: "2026-04-01T00:00:01Z" }),
        "",
      ].join("\n"),
    );
    const { journal, report } = Journal.open(dir);
    expect(report).toEqual({ lines: 3, tornTail: false, unreadable: 1 });
    expect(journal.get("J1")).toMatchObject({ state: "written", dir: "/d" });
    journal.close();
  });

  it("compacts itself when it grows, keeping only live jobs", () => {
    const { journal } = Journal.open(dir);
    for (let i = 0; i < 600; i++) {
      journal.append({ op: "claimed", job: `J${i}`, order: "O", token: "t", expires: null });
      journal.append({ op: "forget", job: `J${i}`, why: "test" });
    }
    journal.append({ op: "claimed", job: "LIVE", order: "O", token: "t", expires: null });
    // 1201 appends, well past the threshold: the file holds a handful of lines, not 1201.
    expect(lines().length).toBeLessThan(210);
    journal.close();
    expect(
      Journal.open(dir)
        .journal.all()
        .map((r) => r.jobId),
    ).toEqual(["LIVE"]);
  });

  it("survives SIGKILL while another process appends: every whole line counts, nothing is unreadable", async () => {
    const script = `
      const { Journal } = require(${JSON.stringify(path.join(ROOT, "dist/src/lab-daemon/journal.js"))});
      const { journal } = Journal.open(${JSON.stringify(dir)});
      process.stdout.write("ready\\n");
      for (let i = 0; ; i++) {
        journal.append({ op: "claimed", job: "J" + i, order: "O" + i, token: "t".repeat(48), expires: null });
        journal.append({ op: "written", job: "J" + i, dir: "/out/job-J" + i, sheets: 1 });
      }`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    // Let it append for a while, so that the kill lands in the middle of a write.
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const { journal, report } = Journal.open(dir);
    expect(report.unreadable).toBe(0);
    const records = journal.all();
    expect(records.length).toBeGreaterThan(5);
    // Every job but possibly the last is written; the last is claimed or written.
    records.slice(0, -1).forEach((r) => expect(r.state).toBe("written"));
    expect(["claimed", "written"]).toContain(records[records.length - 1].state);
    journal.close();
  });
});

describe("the state folder's lock", () => {
  it("refuses a second daemon while the first lives, and takes over from a dead one", () => {
    const sleeper = spawn("sleep", ["30"]);
    try {
      fs.writeFileSync(path.join(dir, "daemon.pid"), String(sleeper.pid));
      expect(() => lockStateDir(dir)).toThrow(StateLockedError);
      expect(() => lockStateDir(dir)).toThrow(`another lab daemon (pid ${sleeper.pid}) uses the state folder ${dir}`);
    } finally {
      sleeper.kill("SIGKILL");
    }
    const dead = spawnSync("true").pid!;
    fs.writeFileSync(path.join(dir, "daemon.pid"), String(dead));
    const release = lockStateDir(dir);
    expect(fs.readFileSync(path.join(dir, "daemon.pid"), "utf8")).toBe(String(process.pid));
    // Held by this process: a second lock here is refused too.
    expect(() => lockStateDir(dir)).toThrow(StateLockedError);
    release();
    expect(fs.existsSync(path.join(dir, "daemon.pid"))).toBe(false);
    // Our own pid left in the file is a previous run's (a container's daemon is pid 1 each time).
    fs.writeFileSync(path.join(dir, "daemon.pid"), String(process.pid));
    lockStateDir(dir)();
  });
});
