/**
 * What a job becomes in the hot folder. The worker hands a writer the job, its sheet plans and
 * verified images; the writer fills the job's temporary folder, which the worker then publishes.
 * Today's one format is rendered print files (JPEG or PDF), a packing slip for a delivery job, and
 * a JSON ticket (the plain dialect); a minilab controller's format is another JobWriter
 * (dialects/dpof.ts, dialects/frontier.ts), which also hands the published job to its controller
 * and waits for its answer.
 */
import type { JobDetail, JobFulfilment, JobSubOrder } from "./center-protocol";
import type { HotFolder, WrittenFile } from "./hot-folder";
import { JobFailure } from "./job-failure";
import { needsPackingSlip, packingSlipName, packingSlipPdf } from "./packing-slip";
import { parseLayout, renderSheet, type PrintFormat, type SheetPlan } from "./print-files";
import type { SheetFor, SheetSource } from "./sheet-choice";

export interface JobToWrite {
  jobId: string;
  detail: JobDetail;
  /** Every sheet of the job, in order, planned before anything was downloaded. */
  plans: SheetPlan[];
  /** Image id -> its verified bytes. */
  images: Map<string, Buffer>;
  /** Design template id -> the image laid over its items. */
  frames: Map<string, Buffer>;
}

/** What the controller did with a job handed to it. */
export type ControllerAnswer =
  | { kind: "accepted" }
  /** The controller said no (DPOF `q…`), or did not answer in time: the job fails, retryable. */
  | { kind: "refused"; code: "CONTROLLER_REFUSED" | "CONTROLLER_TIMEOUT"; reason: string }
  /** The daemon is stopping: the job stays written and is looked at again on the next start. */
  | { kind: "stopped" }
  /** The job is not ours any more (the center settled it otherwise while we waited). */
  | { kind: "lost"; reason: string };

/** What a writer needs to hand a published job to its controller and wait for the answer. */
export interface HandOver {
  jobId: string;
  /** The job's folder in the hot folder (its ticket says what was written). */
  dir: string;
  /** True once the daemon stops. */
  stopping: () => boolean;
  /** Called between looks: keeps the lease; false when the job is no longer ours. */
  tick: () => Promise<boolean>;
}

export interface JobWriter {
  /** Writes the job into the temporary folder `tmp` (from HotFolder.begin); how many files and sheets. */
  write(tmp: string, job: JobToWrite): Promise<{ files: number; totalSheets: number }>;
  /**
   * For a controller that answers: gives it the published job (again after a restart: each step is
   * a rename, done once) and waits, bounded, for its answer. A refused or unanswered job has been
   * taken back from the controller when this returns. Absent: the job is done once written.
   */
  handOver?(h: HandOver): Promise<ControllerAnswer>;
}

export interface PrintFileWriterOptions {
  hot: HotFolder;
  dpi: number;
  format: PrintFormat;
  /** The center's address, named in the ticket. */
  center: string;
  /** The paper a sub-order prints on (the order's print size unless the operator overrides it). */
  sheetFor: SheetFor;
  /** Where that paper came from, said on the ticket (the operator's flag replacing the order's size shows). */
  sheetSource: (subOrder: Pick<JobSubOrder, "serviceId" | "printSize">) => SheetSource;
}

/** What the ticket says of the handover: how, how fast, to whom and where (null: none given). */
function handoverOf(f: JobFulfilment | null | undefined): Record<string, unknown> | null {
  if (!f) return null;
  const a = f.address;
  return {
    method: f.method,
    speed: f.speed,
    recipient: a?.recipient ?? null,
    address: a ? { country: a.country, postalCode: a.postalCode, region: a.region, city: a.city, line1: a.line1, line2: a.line2 } : null,
  };
}

/** What the ticket says of the order itself: its shop, the customer's reference, when it was confirmed and is due. */
function orderOf(detail: JobDetail): Record<string, unknown> {
  const o = detail.order;
  const shopId = o.shop?.id ?? o.shopId ?? null;
  return {
    shop: shopId ? { id: shopId, name: o.shop?.name ?? null } : null,
    customerReference: o.customerReference ?? null,
    confirmedAt: o.confirmedAt ?? null,
    dueAt: o.dueAt ?? null,
  };
}

/** A sub-order's paper as the ticket names it: the sheet it prints on, and what the order asked for. */
function printSizeOf(s: JobSubOrder): Record<string, unknown> | null {
  const p = s.printSize;
  return p ? { name: p.name, widthMm: p.widthMm, heightMm: p.heightMm, borderless: p.borderless, fit: p.fit } : null;
}

/** Rendered print files (`sheet-001.jpg` ...) and a `ticket.json` describing them. */
export class PrintFileWriter implements JobWriter {
  constructor(private readonly o: PrintFileWriterOptions) {}

  async write(tmp: string, { jobId, detail, plans, images, frames }: JobToWrite): Promise<{ files: number; totalSheets: number }> {
    const { hot, dpi, format } = this.o;
    const files: Array<WrittenFile & { contentType: string }> = [];
    const sheetsOut: Array<Record<string, unknown>> = [];
    const offSheet = new Set<string>();
    let totalSheets = 0;
    const ext = format === "pdf" ? "pdf" : "jpg";
    // The ticket names a sub-order by its place in the order ("1", "2", ...), as tickets always
    // have: a lab's tooling reads it beside the order id.
    const placeOf = new Map(detail.order.subOrders.map((s) => [s.id, String(s.number)]));
    for (const [i, plan] of plans.entries()) {
      let rendered;
      try {
        rendered = await renderSheet(plan, { images, templates: frames }, { dpi, format });
      } catch (e) {
        throw new JobFailure("RENDER_FAILED", e instanceof Error ? e.message : String(e), true);
      }
      const name = `sheet-${String(i + 1).padStart(3, "0")}.${ext}`;
      const written = await hot.writeFile(tmp, name, rendered.bytes);
      files.push({ ...written, contentType: rendered.contentType });
      rendered.offSheet.forEach((id) => offSheet.add(id));
      totalSheets += plan.copies;
      sheetsOut.push({
        file: name,
        subOrderId: placeOf.get(plan.subOrderId),
        serviceId: plan.serviceId,
        page: plan.page,
        copies: plan.copies,
        size: {
          name: plan.sheet.name,
          widthMm: plan.sheet.widthMm,
          heightMm: plan.sheet.heightMm,
          widthPx: rendered.widthPx,
          heightPx: rendered.heightPx,
          dpi,
        },
        items: plan.items.map((it) => it.itemId),
      });
    }
    // A delivery job's packing slip goes in the folder with its prints (published with them); the
    // ticket names it. A pickup job's ticket is as it always was.
    const slip = needsPackingSlip(detail)
      ? await hot.writeFile(
          tmp,
          packingSlipName(jobId),
          await packingSlipPdf(detail, {
            sheetName: (id) => this.o.sheetFor(detail.order.subOrders.find((s) => s.serviceId === id) ?? { serviceId: id }).name,
          }),
        )
      : null;
    const printedAt = new Date().toISOString();
    const fileOf = new Map(plans.flatMap((p, i) => p.items.map((it) => [it.itemId, { file: files[i].name, page: p.page }] as const)));
    const imageOf = new Map(detail.images.map((im) => [im.imageId, im]));
    const ticket = {
      ticketVersion: 1,
      jobId,
      orderId: detail.orderId,
      labId: detail.labId,
      attempts: detail.attempts,
      printedAt,
      center: this.o.center,
      format,
      dpi,
      ...orderOf(detail),
      handover: handoverOf(detail.order.fulfilment),
      ...(slip ? { packingSlip: { name: slip.name, bytes: slip.bytes, sha256: slip.sha256, contentType: "application/pdf" } } : {}),
      services: detail.order.subOrders.map((s) => ({
        subOrderId: placeOf.get(s.id),
        serviceId: s.serviceId,
        sheetsOrdered: s.sheets,
        sheetSize: this.o.sheetFor(s).name,
        sheetSource: this.o.sheetSource(s),
        printSize: printSizeOf(s),
        pages: plans.filter((p) => p.subOrderId === s.id).length,
      })),
      sheets: sheetsOut,
      totalSheets,
      items: detail.order.subOrders.flatMap((s) =>
        s.items.map((it) => ({
          itemId: it.id,
          subOrderId: placeOf.get(s.id),
          imageId: it.imageId,
          sha256: imageOf.get(it.imageId)?.sha256 ?? null,
          designTemplateId: it.designTemplateId ?? null,
          layout: parseLayout(it.layout, it.id),
          file: fileOf.get(it.id)?.file ?? null,
          page: fileOf.get(it.id)?.page ?? null,
          offSheet: offSheet.has(it.id),
          warnings: (it.warnings ?? []).map((w) => ({ code: w.code, dpi: w.dpi, minDpi: w.minDpi, message: w.message })),
        })),
      ),
      files: files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256, contentType: f.contentType })),
      images: detail.images.map((im) => ({
        imageId: im.imageId,
        sha256: im.sha256,
        bytes: im.bytes,
        width: im.width,
        height: im.height,
        contentType: im.contentType,
      })),
    };
    await hot.writeFile(tmp, "ticket.json", JSON.stringify(ticket, null, 2) + "\n");
    return { files: files.length, totalSheets };
  }
}
