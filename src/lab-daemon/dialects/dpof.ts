/**
 * The DPOF dialect, as Noritsu's EZ Controller / QSS and Epson's order controllers read a hot
 * folder: one folder per order and print size, `IMAGE/0001.jpg …` and `MISC/AUTPRINT.MRK` (ASCII,
 * CRLF, no BOM) with a `[HDR]` (the size's `PRT PSL` code and `PRT PCH` channel in the vendor
 * region) and one `[JOB]` per image (`PRT QTY` in three digits: more than 999 copies are several
 * jobs). The folder is built whole as `p<order>_<size>` and renamed `o…` (the controller takes only
 * `o…` folders); the controller renames it `e…` when it accepted the order, `q…` when it could not.
 *
 * The job's own folder (`job-<id>/`, the ticket for people and a delivery's packing slip) is
 * published first and holds the `p…` folders until they are handed over: every step is a rename
 * done once, so a restart goes on where the last run stopped and never hands an order over twice.
 */
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { fsyncDir } from "../journal";
import type { HotFolder } from "../hot-folder";
import { JobFailure } from "../job-failure";
import { PrintFileWriter, type ControllerAnswer, type HandOver, type JobToWrite, type JobWriter, type PrintFileWriterOptions } from "../job-writer";
import type { SheetSize } from "../print-files";
import { exists, takeBack, waitForAnswer } from "./acceptance";
import { asciiText, bySize, crlf, orderRef, controllerPart, rewriteTicket, safePart, sheetFileOf } from "./controller-job";
import type { DpofProfile, LabProfile } from "./profile";

/** PRT QTY has three digits. */
export const MAX_QTY = 999;
/** PRT PID has three digits. */
const MAX_JOBS = 999;

/** One image of a DPOF folder and how many prints of it. */
export interface DpofImage {
  /** The file in the image folder (`0001.jpg`). */
  file: string;
  copies: number;
  /** Printed on the back where the controller does (PRT CVP1); never empty. */
  backPrint: string;
}

export interface DpofOrder {
  size: SheetSize;
  images: DpofImage[];
}

/** The size code a controller knows (KG, L, 2L), else the size in millimetres. */
export function sizeCode(size: SheetSize, profile: DpofProfile): string {
  const own = profile.sizes[size.name.toUpperCase()]?.code;
  if (own) return own;
  const name = size.name.toUpperCase();
  if (name === "KG" || name === "L" || name === "2L") return name;
  const mm = (n: number) => String(Math.round(n * 10) / 10);
  return `NML -PSIZE "${mm(size.widthMm)}x${mm(size.heightMm)}"`;
}

export function channelOf(size: SheetSize, profile: DpofProfile): number {
  return profile.sizes[size.name.toUpperCase()]?.channel ?? profile.defaultChannel;
}

const d2 = (n: number) => String(n).padStart(2, "0");
const d3 = (n: number) => String(n).padStart(3, "0");

/** `YYYY:MM:DD:HH:MM:SS` in the daemon's local time, as DPOF dates are. */
export function dpofDate(at: Date): string {
  return `${at.getFullYear()}:${d2(at.getMonth() + 1)}:${d2(at.getDate())}:${d2(at.getHours())}:${d2(at.getMinutes())}:${d2(at.getSeconds())}`;
}

/** The AUTPRINT.MRK of one order folder (ASCII, CRLF, no BOM). */
export function autprintMrk(order: DpofOrder, profile: DpofProfile, at: Date): Buffer {
  const eq = profile.spacesAroundEquals ? " = " : "=";
  const line = (key: string, value: string) => `${key}${eq}${value}`;
  const quoted = (s: string) => `"${s}"`;
  const vendor = line("VUQ VNM", `${quoted(profile.vendor)} -ATR ${quoted(profile.vendorAttribute)}`);
  const out: string[] = [
    "[HDR]",
    line("GEN REV", "01.00"),
    line("GEN CRT", `${quoted("PRINTMESH")} -01.00`),
    line("GEN DTM", dpofDate(at)),
    line("USR NAM", quoted(profile.userName)),
    ...(profile.userId ? [line("USR CID", quoted(profile.userId))] : []),
    line("VUQ RGN", "BGN"),
    vendor,
    line("VUQ VER", "01.00"),
    line("PRT PSL", sizeCode(order.size, profile)),
    line("PRT PCH", d3(channelOf(order.size, profile))),
    line("VUQ RGN", "END"),
  ];
  let pid = 0;
  for (const image of order.images) {
    // More than 999 prints of one image: several jobs of the same image.
    for (let left = image.copies; left > 0; left -= MAX_QTY) {
      pid += 1;
      if (pid > MAX_JOBS) throw new JobFailure("TOO_MANY_PRINTS", `one DPOF order holds at most ${MAX_JOBS} jobs`, false);
      const back = asciiText(image.backPrint, 40);
      out.push(
        "",
        "[JOB]",
        line("PRT PID", d3(pid)),
        line("PRT TYP", "STD"),
        line("PRT QTY", d3(Math.min(MAX_QTY, left))),
        line("IMG FMT", "EXIF2 -J"),
        `<${line("IMG SRC", quoted(`../${profile.imageFolder}/${image.file}`))}>`,
        // A -STR value is never empty: some controllers refuse the whole order for one.
        ...(back ? [line("VUQ RGN", "BGN"), vendor, line("VUQ VER", "01.00"), line("PRT CVP1", `1 -STR ${quoted(back)}`), line("VUQ RGN", "END")] : []),
      );
    }
  }
  return crlf(out);
}

export interface DialectWriterOptions extends PrintFileWriterOptions {
  profile: LabProfile;
  /** The clock of the files' dates (fixed in tests). */
  now?: () => Date;
}

/** What the ticket records of the DPOF folders: enough to hand them over and look for the answer. */
interface DpofTicket {
  dialect: "dpof";
  folders: Array<{ base: string; size: string; code: string; channel: number; images: Array<{ file: string; sheetFile: string; copies: number }> }>;
}

export class DpofWriter implements JobWriter {
  private readonly inner: PrintFileWriter;
  private readonly hot: HotFolder;

  constructor(private readonly o: DialectWriterOptions) {
    this.inner = new PrintFileWriter({ ...o, format: "jpeg" });
    this.hot = o.hot;
  }

  async write(tmp: string, job: JobToWrite): Promise<{ files: number; totalSheets: number }> {
    const written = await this.inner.write(tmp, job);
    const profile = this.o.profile.dpof;
    const at = (this.o.now ?? (() => new Date()))();
    const ref = orderRef(job);
    const place = new Map(job.detail.order.subOrders.map((s) => [s.id, s.number]));
    const folders: DpofTicket["folders"] = [];
    for (const group of bySize(job.plans)) {
      const base = `${ref}_${safePart(group.plans[0].plan.sheet.name)}`;
      const folder = path.join(tmp, `p${base}`);
      await fsp.mkdir(path.join(folder, profile.imageFolder), { recursive: true });
      await fsp.mkdir(path.join(folder, "MISC"));
      const images: DpofImage[] = [];
      const listed: DpofTicket["folders"][number]["images"] = [];
      for (const [n, { plan, index }] of group.plans.entries()) {
        const file = `${String(n + 1).padStart(4, "0")}.jpg`;
        await fsp.rename(path.join(tmp, sheetFileOf(index)), path.join(folder, profile.imageFolder, file));
        images.push({ file, copies: plan.copies, backPrint: `${job.detail.orderId.slice(0, 8)} ${place.get(plan.subOrderId) ?? "?"}-${plan.page}` });
        listed.push({ file: `${profile.imageFolder}/${file}`, sheetFile: sheetFileOf(index), copies: plan.copies });
      }
      const size = group.plans[0].plan.sheet;
      await this.hot.writeFile(path.join(folder, "MISC"), "AUTPRINT.MRK", autprintMrk({ size, images }, profile, at));
      fsyncDir(path.join(folder, profile.imageFolder));
      fsyncDir(folder);
      folders.push({ base, size: size.name, code: sizeCode(size, profile), channel: channelOf(size, profile), images: listed });
    }
    const controller: DpofTicket = { dialect: "dpof", folders };
    await rewriteTicket(this.hot, tmp, (t) => {
      t.controller = { ...controller, handedOverAs: folders.map((f) => `o${f.base}`) };
    });
    return written;
  }

  async handOver(h: HandOver): Promise<ControllerAnswer> {
    const out = this.hot.out;
    const ticket = await controllerPart<DpofTicket>(h.dir);
    if ("refused" in ticket) return ticket.refused;
    const { folders } = ticket.part;
    // p… moves out of the job's folder whole, then becomes o…: both renames, each done once.
    for (const { base } of folders) {
      if (await exists(path.join(h.dir, `p${base}`))) await fsp.rename(path.join(h.dir, `p${base}`), path.join(out, `p${base}`));
      if (await exists(path.join(out, `p${base}`))) await fsp.rename(path.join(out, `p${base}`), path.join(out, `o${base}`));
    }
    fsyncDir(out);
    const look = async (): Promise<ControllerAnswer | null> => {
      let waiting = 0;
      for (const { base } of folders) {
        if (await exists(path.join(out, `q${base}`)))
          return { kind: "refused", code: "CONTROLLER_REFUSED", reason: `the controller refused order folder o${base} (renamed q${base})` };
        if (!(await exists(path.join(out, `e${base}`)))) waiting += 1;
      }
      return waiting === 0 ? { kind: "accepted" } : null;
    };
    const answer = await waitForAnswer(look, {
      timeoutMs: this.o.profile.acceptTimeoutSeconds * 1000,
      pollMs: this.o.profile.pollSeconds * 1000,
      stopping: h.stopping,
      tick: h.tick,
    });
    if (answer?.kind === "accepted" || answer?.kind === "stopped") return answer;
    // Refused, timed out or lost: what the controller has not taken is taken back.
    for (const { base } of folders) await takeBack(path.join(out, `o${base}`), this.hot.tmpRoot);
    if (answer === null) {
      const late = await look();
      if (late) return this.settle(h, late);
      return this.settle(h, {
        kind: "refused",
        code: "CONTROLLER_TIMEOUT",
        reason: `the controller did not take order folder${folders.length > 1 ? "s" : ""} ${folders.map((f) => `o${f.base}`).join(", ")} within ${this.o.profile.acceptTimeoutSeconds}s`,
      });
    }
    return this.settle(h, answer);
  }

  /** A job that failed leaves the hot folder (a retry writes it anew, under new names). */
  private async settle(h: HandOver, answer: ControllerAnswer): Promise<ControllerAnswer> {
    if (answer.kind === "refused") await takeBack(h.dir, this.hot.tmpRoot);
    return answer;
  }
}
