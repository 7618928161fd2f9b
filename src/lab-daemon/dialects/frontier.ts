/**
 * The Fujifilm Frontier dialect, as JobMaker reads a hot folder: the images first (in the job's
 * folder, named after the order), then one `<order>_<surface>.txt` per paper surface (ASCII, CRLF)
 * with `[OrderInfo]` (`Order_ID`, `ImagePath` as the controller sees the folder, `Printer`,
 * `Surface`) and per image `[ImageInfo]` (`ImageFile`, `BackPrint` of at most 40 characters) and
 * `[Print]` (`PrintCode`, `PrintQty`). JobMaker takes the order by removing the `.txt`; it has no
 * refusal, so an order it leaves is taken back after the profile's time and the job fails.
 *
 * The `.txt` is written with the job (as `<name>.pending` inside the job's folder, which is
 * published whole) and handed over by one rename into the hot folder: never half visible, never
 * twice, also across a restart.
 */
import * as path from "node:path";
import * as fsp from "node:fs/promises";
import { fsyncDir } from "../journal";
import type { HotFolder } from "../hot-folder";
import { PrintFileWriter, type ControllerAnswer, type HandOver, type JobToWrite, type JobWriter } from "../job-writer";
import type { SheetSize } from "../print-files";
import { exists, takeBack, waitForAnswer } from "./acceptance";
import { asciiText, crlf, orderRef, controllerPart, rewriteTicket, sheetFileOf } from "./controller-job";
import type { DialectWriterOptions } from "./dpof";
import type { FrontierProfile } from "./profile";
import { controllerPath } from "./profile";

/** How many prints one [Print] section asks for at most. */
export const MAX_PRINT_QTY = 999;

export interface FrontierImage {
  file: string;
  size: SheetSize;
  copies: number;
  backPrint: string;
}

export interface FrontierOrder {
  orderId: string;
  /** The folder of the images, as the controller sees it. */
  imagePath: string;
  surface: string;
  images: FrontierImage[];
}

export function surfaceOf(size: SheetSize, profile: FrontierProfile): string {
  return profile.sizes[size.name.toUpperCase()]?.surface ?? profile.surface;
}

export function printCodeOf(size: SheetSize, profile: FrontierProfile): string {
  return profile.sizes[size.name.toUpperCase()]?.printCode ?? size.name;
}

/** One order file (one surface). */
export function frontierTxt(order: FrontierOrder, profile: FrontierProfile): Buffer {
  const out = ["[OrderInfo]", `Order_ID=${order.orderId}`, `ImagePath=${order.imagePath}`, `Printer=${profile.printer}`, `Surface=${order.surface}`];
  for (const image of order.images) {
    const back = asciiText(image.backPrint, 40);
    out.push("", "[ImageInfo]", `ImageFile=${image.file}`, ...(back ? [`BackPrint=${back}`] : []));
    for (let left = image.copies; left > 0; left -= MAX_PRINT_QTY) {
      out.push("", "[Print]", `PrintCode=${printCodeOf(image.size, profile)}`, `PrintQty=${Math.min(MAX_PRINT_QTY, left)}`);
    }
  }
  return crlf(out);
}

interface FrontierTicket {
  dialect: "frontier";
  files: Array<{ name: string; surface: string; images: Array<{ file: string; sheetFile: string; size: string; printCode: string; copies: number }> }>;
}

export class FrontierWriter implements JobWriter {
  private readonly inner: PrintFileWriter;
  private readonly hot: HotFolder;

  constructor(private readonly o: DialectWriterOptions) {
    this.inner = new PrintFileWriter({ ...o, format: "jpeg" });
    this.hot = o.hot;
  }

  async write(tmp: string, job: JobToWrite): Promise<{ files: number; totalSheets: number }> {
    const written = await this.inner.write(tmp, job);
    const profile = this.o.profile.frontier;
    const ref = orderRef(job);
    const place = new Map(job.detail.order.subOrders.map((s) => [s.id, s.number]));
    const imagePath = controllerPath(this.o.profile, this.hot.dirFor(job.jobId));
    const surfaces = new Map<string, FrontierImage[]>();
    const listed = new Map<string, FrontierTicket["files"][number]["images"]>();
    for (const [index, plan] of job.plans.entries()) {
      const file = `${ref}_${String(index + 1).padStart(4, "0")}.jpg`;
      await fsp.rename(path.join(tmp, sheetFileOf(index)), path.join(tmp, file));
      const surface = surfaceOf(plan.sheet, profile);
      const image = {
        file,
        size: plan.sheet,
        copies: plan.copies,
        backPrint: `${job.detail.orderId.slice(0, 8)} ${place.get(plan.subOrderId) ?? "?"}-${plan.page}`,
      };
      surfaces.set(surface, [...(surfaces.get(surface) ?? []), image]);
      listed.set(surface, [
        ...(listed.get(surface) ?? []),
        { file, sheetFile: sheetFileOf(index), size: plan.sheet.name, printCode: printCodeOf(plan.sheet, profile), copies: plan.copies },
      ]);
    }
    const files: FrontierTicket["files"] = [];
    for (const [surface, images] of surfaces) {
      const name = `${ref}_${surface}.txt`;
      await this.hot.writeFile(tmp, `${name}.pending`, frontierTxt({ orderId: ref, imagePath, surface, images }, profile));
      files.push({ name, surface, images: listed.get(surface)! });
    }
    const controller: FrontierTicket = { dialect: "frontier", files };
    await rewriteTicket(this.hot, tmp, (t) => {
      t.controller = { ...controller, imagePath };
    });
    return written;
  }

  async handOver(h: HandOver): Promise<ControllerAnswer> {
    const out = this.hot.out;
    const ticket = await controllerPart<FrontierTicket>(h.dir);
    if ("refused" in ticket) return ticket.refused;
    const { files } = ticket.part;
    for (const { name } of files) {
      const pending = path.join(h.dir, `${name}.pending`);
      if (await exists(pending)) await fsp.rename(pending, path.join(out, name));
    }
    fsyncDir(out);
    const look = async (): Promise<ControllerAnswer | null> => {
      for (const { name } of files) if (await exists(path.join(out, name))) return null;
      return { kind: "accepted" };
    };
    const answer = await waitForAnswer(look, {
      timeoutMs: this.o.profile.acceptTimeoutSeconds * 1000,
      pollMs: this.o.profile.pollSeconds * 1000,
      stopping: h.stopping,
      tick: h.tick,
    });
    if (answer?.kind === "accepted" || answer?.kind === "stopped") return answer;
    // Taken back; a file JobMaker removed meanwhile was taken by it after all.
    const left: string[] = [];
    for (const { name } of files) if (await takeBack(path.join(out, name), this.hot.tmpRoot)) left.push(name);
    if (answer === null && left.length === 0) return { kind: "accepted" };
    // The images stay while JobMaker holds any order file of them; else the job leaves the hot folder
    // (a retry writes it anew, under new names).
    if (left.length === files.length) await takeBack(h.dir, this.hot.tmpRoot);
    return (
      answer ?? {
        kind: "refused",
        code: "CONTROLLER_TIMEOUT",
        reason: `the controller did not take ${left.join(", ")} within ${this.o.profile.acceptTimeoutSeconds}s`,
      }
    );
  }
}
