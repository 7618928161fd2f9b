/**
 * The lab daemon's journal: what it has done with each job it holds, kept so that a `kill -9` at
 * any moment is harmless. It is an append-only JSON-lines file (`journal.jsonl` in the state
 * directory); each line is one step, written and fdatasync'ed before the daemon acts on it. On open
 * the lines are replayed (a torn last line, from a crash mid-append, is dropped) and the file is
 * rewritten atomically as one `state` line per live job (write aside, fsync, rename), which is also
 * how it is compacted when it grows.
 *
 * Lines (`at` is an ISO instant on every line):
 *   {"op":"claimed","job":J,"order":O,"token":T,"expires":ISO,"attempts":N}   lease won; nothing written yet
 *   {"op":"renewed","job":J,"expires":ISO}                       the center renewed the lease (while a controller decides)
 *   {"op":"publishing","job":J,"tmp":TMP,"dir":DIR,"sheets":N}    files complete in TMP; about to rename TMP -> DIR
 *   {"op":"written","job":J,"dir":DIR,"sheets":N}                 the job is in the hot folder
 *   {"op":"completed","job":J,"history":{jobId,printedAt,sheets,printer,ok}}  the center took completePrintJob
 *   {"op":"reported","jobs":[J,...]}                              the center answered reportPrintHistory for these
 *   {"op":"forget","job":J,"why":TEXT}                            nothing more to do (failed, withdrawn, lost)
 *   {"op":"state","record":{...}}                                 a whole record (written by compaction)
 *
 * A job leaves the journal when it is forgotten or when its history was reported.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type JobState = "claimed" | "publishing" | "written" | "completed";

/** One line of printing history, as reportPrintHistory takes it. */
export interface HistoryEntry {
  jobId: string;
  printedAt: string;
  sheets: number;
  printer: string | null;
  ok: boolean;
}

export interface JobRecord {
  jobId: string;
  orderId: string;
  state: JobState;
  leaseToken: string | null;
  leaseExpiresAt: string | null;
  /**
   * The job's attempts when the lease was granted (null when unknown, e.g. a journal written by an
   * older daemon): a lapsed lease is still ours while the job is LEASED with these attempts.
   */
  attempts: number | null;
  /** The temporary folder being published (state publishing). */
  tmp: string | null;
  /** The job's folder in the hot folder (from publishing on). */
  dir: string | null;
  /** Sheets printed (from written on). */
  sheets: number | null;
  /** When the job reached the hot folder. */
  writtenAt: string | null;
  /** Waiting to be reported (state completed). */
  history: HistoryEntry | null;
  updatedAt: string;
}

export type JournalOp =
  | { op: "claimed"; job: string; order: string; token: string; expires: string | null; attempts?: number | null }
  | { op: "renewed"; job: string; expires: string }
  | { op: "publishing"; job: string; tmp: string; dir: string; sheets: number }
  | { op: "written"; job: string; dir: string; sheets: number }
  | { op: "completed"; job: string; history: HistoryEntry }
  | { op: "reported"; jobs: string[] }
  | { op: "forget"; job: string; why: string }
  | { op: "state"; record: JobRecord };

export const JOURNAL_FILE = "journal.jsonl";
const LOCK_FILE = "daemon.pid";

export interface JournalOpenReport {
  /** Lines replayed. */
  lines: number;
  /** A torn last line was dropped (a crash while appending). */
  tornTail: boolean;
  /** Lines in the middle that could not be read and were skipped. */
  unreadable: number;
}

export class Journal {
  private readonly records = new Map<string, JobRecord>();
  private fd: number | null = null;
  private lines = 0;

  private constructor(
    readonly dir: string,
    private readonly now: () => Date,
  ) {}

  get file(): string {
    return path.join(this.dir, JOURNAL_FILE);
  }

  /** Opens (creating) the journal in `dir`, replays it, and rewrites it compactly. */
  static open(dir: string, opts: { now?: () => Date } = {}): { journal: Journal; report: JournalOpenReport } {
    fs.mkdirSync(dir, { recursive: true });
    const journal = new Journal(dir, opts.now ?? (() => new Date()));
    const report = journal.replay();
    journal.compact();
    return { journal, report };
  }

  get(jobId: string): JobRecord | undefined {
    const r = this.records.get(jobId);
    return r ? { ...r } : undefined;
  }

  /** Every live record, oldest first. */
  all(): JobRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  /** Completed jobs whose history the center has not acknowledged yet, oldest first. */
  pendingHistory(): HistoryEntry[] {
    return [...this.records.values()].filter((r) => r.state === "completed" && r.history).map((r) => r.history!);
  }

  /** Applies a step and makes it durable before returning. */
  append(op: JournalOp): void {
    if (this.fd === null) throw new Error("the journal is closed");
    const at = this.now().toISOString();
    this.apply(op, at);
    fs.writeSync(this.fd, JSON.stringify({ ...op, at }) + "\n");
    fs.fdatasyncSync(this.fd);
    this.lines += 1;
    if (this.lines > 1000 && this.lines > 4 * this.records.size) this.compact();
  }

  /** Rewrites the file as one `state` line per live record: aside, fsync, rename, fsync the folder. */
  compact(): void {
    const tmp = this.file + ".tmp";
    const body = [...this.records.values()].map((record) => JSON.stringify({ op: "state", record, at: record.updatedAt }) + "\n").join("");
    const fd = fs.openSync(tmp, "w", 0o600);
    try {
      fs.writeSync(fd, body);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    fs.renameSync(tmp, this.file);
    fsyncDir(this.dir);
    this.fd = fs.openSync(this.file, "a", 0o600);
    this.lines = this.records.size;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  private replay(): JournalOpenReport {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { lines: 0, tornTail: false, unreadable: 0 };
      throw e;
    }
    const rows = text.split("\n");
    // Whatever follows the last newline was being appended when the process died.
    const tail = rows.pop() ?? "";
    let tornTail = tail.trim() !== "";
    let unreadable = 0;
    let lines = 0;
    rows.forEach((line, i) => {
      if (line.trim() === "") return;
      let parsed: (JournalOp & { at?: string }) | null = null;
      try {
        parsed = JSON.parse(line) as JournalOp & { at?: string };
      } catch {
        parsed = null;
      }
      if (!parsed || typeof parsed !== "object" || typeof parsed.op !== "string") {
        if (i === rows.length - 1) tornTail = true;
        else unreadable += 1;
        return;
      }
      this.apply(parsed, typeof parsed.at === "string" ? parsed.at : this.now().toISOString());
      lines += 1;
    });
    return { lines, tornTail, unreadable };
  }

  private apply(op: JournalOp, at: string): void {
    switch (op.op) {
      case "claimed":
        this.records.set(op.job, {
          jobId: op.job,
          orderId: op.order,
          // A job already in the hot folder stays so when it is claimed again (to be completed).
          state: this.records.get(op.job)?.state === "written" ? "written" : "claimed",
          leaseToken: op.token,
          leaseExpiresAt: op.expires,
          attempts: op.attempts ?? null,
          tmp: null,
          dir: this.records.get(op.job)?.dir ?? null,
          sheets: this.records.get(op.job)?.sheets ?? null,
          writtenAt: this.records.get(op.job)?.writtenAt ?? null,
          history: null,
          updatedAt: at,
        });
        return;
      case "renewed":
        this.update(op.job, at, { leaseExpiresAt: op.expires });
        return;
      case "publishing":
        this.update(op.job, at, { state: "publishing", tmp: op.tmp, dir: op.dir, sheets: op.sheets });
        return;
      case "written":
        this.update(op.job, at, { state: "written", tmp: null, dir: op.dir, sheets: op.sheets, writtenAt: at });
        return;
      case "completed":
        this.update(op.job, at, { state: "completed", tmp: null, leaseToken: null, history: op.history });
        return;
      case "reported":
        for (const job of op.jobs) if (this.records.get(job)?.state === "completed") this.records.delete(job);
        return;
      case "forget":
        this.records.delete(op.job);
        return;
      case "state":
        this.records.set(op.record.jobId, { ...op.record, attempts: op.record.attempts ?? null });
        return;
      default:
        // An op from a newer daemon: skipped, the rest of the journal still counts.
        return;
    }
  }

  private update(jobId: string, at: string, patch: Partial<JobRecord>): void {
    const r = this.records.get(jobId);
    if (!r) return; // a step for a job the journal no longer holds (already forgotten)
    this.records.set(jobId, { ...r, ...patch, updatedAt: at });
  }
}

export class StateLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`another lab daemon (pid ${pid}) uses the state folder ${dir}; give each daemon its own --state`);
    this.name = "StateLockedError";
  }
}

/**
 * Takes the state folder for this process (a pid file), so that two daemons never share a journal.
 * A pid file left by a dead process (kill -9) is taken over. Returns the release function.
 */
export function lockStateDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const key = fs.realpathSync(dir);
  if (heldHere.has(key)) throw new StateLockedError(dir, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      heldHere.add(key);
      return () => {
        heldHere.delete(key);
        try {
          if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = Number(readOr(file, "").trim());
    // Our own pid in the file is a previous run's (a container's daemon is often pid 1 every time).
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new StateLockedError(dir, pid);
    // Stale: its owner is gone. Remove it and race for it again (the loser sees a live pid).
    try {
      fs.unlinkSync(file);
    } catch {
      // someone else removed it first
    }
  }
  throw new StateLockedError(dir, Number(readOr(file, "0")) || 0);
}

/** State folders locked by this process. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOr(file: string, dflt: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return dflt;
  }
}

/** Makes a folder's entries (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (e) {
    // Some filesystems refuse fsync on a folder (EINVAL/EISDIR/EPERM); the rename is still atomic.
    if (!["EINVAL", "EISDIR", "EPERM", "EBADF"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
