/**
 * Where image bytes live. The service names every object by a key (`ab/cd/<id>`, thumbnails
 * `<key>.thumb.jpg`) and keeps the key in the `images` row; the store only moves bytes. The local
 * store below keeps them under `<dataDir>/images/`; an S3-compatible store can implement the same
 * four operations (an upload, a GET, a DELETE, a HEAD).
 *
 * Several centers use one store (a shared mount, or one bucket): an image uploaded through one is
 * served by another. So a store keeps nothing about its objects in a process's memory; the
 * database's `images` rows are the index of what exists (retention and cleanup list rows, not
 * objects), and every operation below must hold for several processes at once.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * What any backend must do (the local folder below; an S3-compatible bucket would map each
 * operation to one request). Keys are `assertValidKey`'s: slash-separated, no segment starting
 * with a dot (the local store's temp folder).
 */
export interface ImageStore {
  /**
   * Stores the stream's bytes under the key, whole or not at all; replaces an existing object.
   * Atomic for every reader in every process: an object is visible only once complete (a
   * temp file renamed into place; on S3, a single PUT or a completed multipart upload). Durable
   * when it resolves: the caller then commits the row naming the key.
   */
  put(key: string, stream: Readable): Promise<void>;
  /**
   * The object's bytes, read by key (read-after-write: any process sees an object as soon as its
   * put resolved); a missing object makes the stream fail with an error whose code is ENOENT (an
   * S3 backend maps NoSuchKey / 404 to it).
   */
  get(key: string): Readable;
  /** Removes the object; a missing object is not an error (two centers may remove it at once). */
  delete(key: string): Promise<void>;
  /** Whether a complete object is stored under the key. */
  exists(key: string): Promise<boolean>;
}

/** Path segments of a key: no empty, no "." or "..", nothing starting with "." (the temp folder). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export function assertValidKey(key: string): void {
  const parts = key.split("/");
  if (key.length === 0 || key.length > 200 || !parts.every((p) => SEGMENT.test(p))) {
    throw new Error(`Invalid image store key: ${JSON.stringify(key)}`);
  }
}

/**
 * Files under a root folder. A put writes a temp file in `<root>/.tmp/` (same file system), fsyncs
 * it, renames it into place and fsyncs the folder: a reader sees the old object or the new one, and
 * a crash leaves at most a stray temp file, never a partial object.
 */
export class LocalImageStore implements ImageStore {
  readonly root: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, ".tmp");
  }

  /** The file of a key (keys are checked, so the path never leaves the root). */
  pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, stream: Readable): Promise<void> {
    const final = this.pathOf(key);
    await fsp.mkdir(this.tmpDir, { recursive: true });
    await fsp.mkdir(path.dirname(final), { recursive: true });
    const tmp = path.join(this.tmpDir, `put-${randomBytes(12).toString("hex")}`);
    try {
      // Opened before any byte is read, so the cleanup below always finds the file by its name.
      const fh = await fsp.open(tmp, "wx", 0o640);
      await pipeline(stream, fh.createWriteStream()); // closes the handle when done
      await fsyncFile(tmp);
      await fsp.rename(tmp, final);
    } catch (e) {
      stream.destroy();
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    await syncDir(path.dirname(final));
  }

  get(key: string): Readable {
    return fs.createReadStream(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.pathOf(key))).isFile();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }
}

/** Flushes a written file to disk (through a new descriptor: fsync applies to the file, not the descriptor). */
async function fsyncFile(file: string): Promise<void> {
  const fh = await fsp.open(file, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename durable; some file systems refuse to open a folder for this, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, "r");
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close();
  }
}
