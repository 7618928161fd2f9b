/**
 * The hot folder a printer (or its RIP) watches. A job appears in it whole or not at all: its
 * files are written and fsync'ed in a temporary folder on the same filesystem, then the folder is
 * renamed into the hot folder in one step (rename(2) is atomic within a filesystem), and the hot
 * folder itself is fsync'ed so that the rename survives a power cut. A watcher therefore never sees
 * half a job, and a crash leaves at most a temporary folder, which `recover` removes.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { fsyncDir } from "./journal";

export interface WrittenFile {
  name: string;
  bytes: number;
  sha256: string;
}

export class HotFolder {
  /**
   * @param out the hot folder
   * @param tmpRoot where jobs are assembled: must be on the out folder's filesystem, and not a place
   *   the printer watches (see `chooseTmpRoot`)
   */
  constructor(
    readonly out: string,
    readonly tmpRoot: string,
  ) {}

  /** The job's folder name in the hot folder: deterministic, so a second write of a job is seen. */
  static folderName(jobId: string): string {
    return "job-" + jobId.replace(/[^A-Za-z0-9._-]/g, "_");
  }

  /** Where the job lives once published. */
  dirFor(jobId: string): string {
    return path.join(this.out, HotFolder.folderName(jobId));
  }

  /** Whether the job's folder is in the hot folder (the printer may since have taken it away). */
  has(jobId: string): boolean {
    return fs.existsSync(this.dirFor(jobId));
  }

  /** Creates the folders if needed and checks that a rename from tmpRoot to out can work. */
  prepare(): void {
    fs.mkdirSync(this.out, { recursive: true });
    fs.mkdirSync(this.tmpRoot, { recursive: true, mode: 0o700 });
    if (!sameFilesystem(this.out, this.tmpRoot)) {
      throw new Error(`the temporary folder ${this.tmpRoot} is not on the hot folder's filesystem (${this.out}): a rename between them would not be atomic`);
    }
  }

  /** A fresh, empty temporary folder for a job. */
  async begin(jobId: string): Promise<string> {
    const tmp = path.join(this.tmpRoot, `${HotFolder.folderName(jobId)}.${process.pid}.${randomBytes(4).toString("hex")}`);
    await fsp.mkdir(tmp, { recursive: false, mode: 0o755 });
    return tmp;
  }

  /** Writes one file of a job into its temporary folder, durably, and answers its size and checksum. */
  async writeFile(tmp: string, name: string, bytes: Buffer | string): Promise<WrittenFile> {
    if (name !== path.basename(name) || name.startsWith(".")) throw new Error(`bad file name for a job: ${name}`);
    const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
    const fh = await fsp.open(path.join(tmp, name), "wx", 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { name, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
  }

  /**
   * Moves a completed temporary folder into the hot folder. "exists" when the job's folder is
   * already there (then the temporary folder is removed and nothing changes in the hot folder).
   */
  async publish(tmp: string, jobId: string): Promise<"published" | "exists"> {
    const dir = this.dirFor(jobId);
    fsyncDir(tmp);
    // rename(2) would silently replace an empty folder of that name: look first.
    if (fs.existsSync(dir)) {
      await this.discard(tmp);
      return "exists";
    }
    try {
      await fsp.rename(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") {
        await this.discard(tmp);
        return "exists";
      }
      throw e;
    }
    fsyncDir(this.out);
    return "published";
  }

  async discard(tmp: string): Promise<void> {
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  /** Whether a temporary folder is still there (so it was not renamed in). */
  stillPending(tmp: string): boolean {
    return fs.existsSync(tmp);
  }

  /**
   * After a crash: removes every leftover temporary folder (each one is a job that never reached
   * the hot folder) and answers their names.
   */
  recover(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.tmpRoot);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    for (const name of names) fs.rmSync(path.join(this.tmpRoot, name), { recursive: true, force: true });
    if (names.length > 0) fsyncDir(this.tmpRoot);
    return names;
  }
}

/**
 * Where jobs are assembled: `<state>/tmp` when the state folder shares the hot folder's filesystem
 * (by default it is `<out>/.printmesh-lab`, hidden inside the hot folder), otherwise a hidden
 * `<out>/.printmesh-tmp`. Both exist before the call.
 */
export function chooseTmpRoot(out: string, stateDir: string): string {
  const inState = path.join(stateDir, "tmp");
  fs.mkdirSync(inState, { recursive: true, mode: 0o700 });
  if (sameFilesystem(out, inState)) return inState;
  fs.rmSync(inState, { recursive: true, force: true });
  return path.join(out, ".printmesh-tmp");
}

export function sameFilesystem(a: string, b: string): boolean {
  return fs.statSync(a).dev === fs.statSync(b).dev;
}
