/**
 * What the controller dialects share: the print files are rendered as for the plain hot folder
 * (one JPEG per page design at its print size, the packing slip, the ticket), then rearranged the
 * controller's way, and the ticket for people is told where each file went. Names carry the order
 * and the job's attempt, so they never repeat across jobs or tries.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import type { HotFolder } from "../hot-folder";
import { JobFailure } from "../job-failure";
import type { ControllerAnswer, JobToWrite } from "../job-writer";
import type { SheetPlan } from "../print-files";

/** A name part from free text: letters, digits and `-` only. */
export function safePart(s: string): string {
  return s.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/**
 * The order as a controller names it: the order id, the job's first eight characters and its try
 * (attempts so far + 1), e.g. `3f2a…-9c1b02de-1`. A retried job writes under new names, so a
 * refused folder (`q…`) left for the operator never meets its retry.
 */
export function orderRef(job: Pick<JobToWrite, "jobId" | "detail">): string {
  return `${safePart(job.detail.orderId)}-${safePart(job.jobId).slice(0, 8)}-${job.detail.attempts + 1}`;
}

/** The rendered file of each plan, as the plain writer names it (`sheet-001.jpg` ...). */
export function sheetFileOf(index: number): string {
  return `sheet-${String(index + 1).padStart(3, "0")}.jpg`;
}

/** Plans grouped by print size name, in the order of their first page. */
export function bySize(plans: SheetPlan[]): Array<{ size: string; plans: Array<{ plan: SheetPlan; index: number }> }> {
  const groups = new Map<string, Array<{ plan: SheetPlan; index: number }>>();
  plans.forEach((plan, index) => {
    const key = plan.sheet.name.toUpperCase();
    groups.set(key, [...(groups.get(key) ?? []), { plan, index }]);
  });
  return [...groups.entries()].map(([size, list]) => ({ size, plans: list }));
}

/** A printable-ASCII text no longer than `max`: what a controller's back print line takes. */
export function asciiText(s: string, max: number): string {
  return s
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/["[\]%(;'~]/g, " ")
    .trim()
    .slice(0, max)
    .trim();
}

/** Reads the job's ticket from a folder. */
export async function readTicket(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await fsp.readFile(path.join(dir, "ticket.json"), "utf8")) as Record<string, unknown>;
}

/**
 * The controller's part of a published job's ticket (what a dialect recorded when it wrote the
 * job), or the refusal a hand-over answers when the job's folder or ticket is gone.
 */
export async function controllerPart<T>(dir: string): Promise<{ part: T } | { refused: ControllerAnswer }> {
  try {
    return { part: (await readTicket(dir)).controller as T };
  } catch {
    return { refused: { kind: "refused", code: "CONTROLLER_REFUSED", reason: `the job's folder ${dir} or its ticket is gone` } };
  }
}

/** Writes the ticket anew (in the job's temporary folder, before it is published), with the controller's part. */
export async function rewriteTicket(hot: HotFolder, tmp: string, change: (t: Record<string, unknown>) => void): Promise<void> {
  const ticket = await readTicket(tmp);
  change(ticket);
  await fsp.unlink(path.join(tmp, "ticket.json"));
  await hot.writeFile(tmp, "ticket.json", JSON.stringify(ticket, null, 2) + "\n");
}

/** A controller's files are written in ASCII with CRLF line ends and no byte order mark. */
export function crlf(lines: string[]): Buffer {
  const text = lines.join("\r\n") + "\r\n";
  if ([...text].some((ch) => ch.charCodeAt(0) > 0x7f))
    throw new JobFailure("BAD_CONTROLLER_TEXT", "a controller file would hold a character outside ASCII", false);
  return Buffer.from(text, "ascii");
}
