/**
 * The folders a capture device sees over FTP, which exist only as names: `/` holds its shop's open
 * shoots, `/<shoot id>` a shoot, `/<shoot id>/<subject>` whom the images show. No path ever names
 * a place on the center's disk. Pure: no database, no sockets.
 */
import * as posix from "node:path/posix";

/** A folder a session may stand in. */
export type Folder = { kind: "root" } | { kind: "shoot"; shootId: string } | { kind: "subject"; shootId: string; subject: string };

/** Where a stored file goes: a shoot, and whom it shows (null: untagged). */
export interface StoreTarget {
  shootId: string;
  subject: string | null;
  fileName: string;
}

/** The longest path segment taken (a file name, a subject folder or a shoot id). */
const MAX_SEGMENT = 255;

/** The segments of `arg` taken from `cwd`, `..` and `.` resolved; null for a segment no folder may have. */
export function segmentsOf(cwd: string, arg: string | null | undefined): string[] | null {
  const joined = posix.resolve(cwd, (arg ?? ".").replace(/\\/g, "/"));
  const segments = joined.split("/").filter((s) => s !== "");
  // eslint-disable-next-line no-control-regex
  return segments.every((s) => s.length <= MAX_SEGMENT && !/[\u0000-\u001f\u007f]/.test(s)) ? segments : null;
}

/** The folder that segments name, or null when they name none (three or more levels). */
export function folderOf(segments: readonly string[]): Folder | null {
  if (segments.length === 0) return { kind: "root" };
  if (segments.length === 1) return { kind: "shoot", shootId: segments[0] };
  if (segments.length === 2) return { kind: "subject", shootId: segments[0], subject: segments[1] };
  return null;
}

/** The path of a folder as the session shows it. */
export function pathOf(folder: Folder): string {
  if (folder.kind === "root") return "/";
  if (folder.kind === "shoot") return `/${folder.shootId}`;
  return `/${folder.shootId}/${folder.subject}`;
}

/** Where `STOR <arg>` from `cwd` stores: `<shoot>/<file>` or `<shoot>/<subject>/<file>`; null for anything else. */
export function storeTargetOf(cwd: string, arg: string | null | undefined): StoreTarget | null {
  if (arg == null || arg.trim() === "") return null;
  const segments = segmentsOf(cwd, arg);
  if (segments === null) return null;
  if (segments.length === 2) return { shootId: segments[0], subject: null, fileName: segments[1] };
  if (segments.length === 3) return { shootId: segments[0], subject: segments[1], fileName: segments[2] };
  return null;
}
