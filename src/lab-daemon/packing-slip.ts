/**
 * The packing slip of a delivery job: one A4 page that goes in the parcel (and on the packing
 * table), with the recipient and address as the customer gave them and what the parcel holds
 * (each sub-order's service, its sheets and images). Written beside the job's print files, so it
 * is published with them in one step. Drawn with pdfkit in its standard Helvetica, which carries
 * Latin-1 text; characters beyond it are written as "?" rather than dropped silently.
 */
import PDFDocument from "pdfkit";
import type { JobDetail } from "./center-protocol";

export interface PackingSlipOptions {
  /** The paper a service prints on, named on its line. */
  sheetName: (serviceId: string) => string;
  /** When the slip is made (its date line and the PDF's creation date). */
  now?: Date;
}

/** The slip's file name in the job's folder. */
export function packingSlipName(jobId: string): string {
  return `${jobId}.packing-slip.pdf`;
}

/** Whether the job is delivered (and so gets a packing slip). */
export function needsPackingSlip(detail: JobDetail): boolean {
  return detail.order.fulfilment?.method === "DELIVERY";
}

/** What Helvetica (WinAnsi) can show: printable Latin-1; anything else becomes "?". */
function latin1(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff]/g, "?");
}

/** The address lines, in the order a label shows them; absent parts left out. */
export function addressLines(detail: JobDetail): string[] {
  const a = detail.order.fulfilment?.address;
  if (!a) return [];
  const place = [a.postalCode, a.region, a.city].filter((p): p is string => !!p && p.trim() !== "").join(" ");
  return [a.recipient, a.line1, a.line2, place, a.country].filter((l): l is string => !!l && l.trim() !== "");
}

/** The slip as PDF bytes. */
export async function packingSlipPdf(detail: JobDetail, o: PackingSlipOptions): Promise<Buffer> {
  const now = o.now ?? new Date();
  const doc = new PDFDocument({
    size: "A4",
    margin: 56,
    info: { Title: `Packing slip, order ${detail.orderId}`, Subject: `Print job ${detail.id}`, CreationDate: now },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", resolve);
    doc.on("error", reject);
  });
  const f = detail.order.fulfilment;
  doc.font("Helvetica-Bold").fontSize(18).text("Packing slip");
  doc.moveDown(0.5);
  doc.font("Helvetica").fontSize(10);
  doc.text(latin1(`Order ${detail.orderId}`));
  doc.text(latin1(`Print job ${detail.id} at lab ${detail.labId}`));
  doc.text(`${f?.speed === "EXPRESS" ? "Express" : "Standard"} delivery, packed ${now.toISOString().slice(0, 10)}`);
  doc.moveDown();
  doc.font("Helvetica-Bold").fontSize(12).text("Ship to");
  doc.font("Helvetica").fontSize(12);
  const lines = addressLines(detail);
  if (lines.length === 0) doc.text("(no address given)");
  for (const line of lines) doc.text(latin1(line));
  doc.moveDown();
  doc.font("Helvetica-Bold").fontSize(12).text("Contents");
  doc.font("Helvetica").fontSize(11);
  let sheets = 0;
  for (const s of detail.order.subOrders) {
    sheets += s.sheets;
    const images = s.items.length;
    doc.text(
      latin1(
        `${s.number}. ${s.serviceId} (${o.sheetName(s.serviceId)}): ${s.sheets} sheet${s.sheets === 1 ? "" : "s"}` +
          (images > 0 ? `, ${images} image${images === 1 ? "" : "s"}` : ""),
      ),
    );
  }
  doc.moveDown(0.5);
  doc.text(`Total: ${sheets} sheet${sheets === 1 ? "" : "s"}`);
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
