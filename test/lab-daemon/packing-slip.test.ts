/**
 * The packing slip of a delivery job, read back by an independent PDF parser (pdf-parse, on
 * pdf.js): the recipient, every address line and each sub-order's service and sheets are there
 * as text, and characters Helvetica cannot show come out as "?" rather than vanishing.
 */
import type { JobDetail } from "../../src/lab-daemon/center-protocol";
import { addressLines, needsPackingSlip, packingSlipName, packingSlipPdf } from "../../src/lab-daemon/packing-slip";
import { pdfLines } from "../support/pdf-text";

const detail = (fulfilment: JobDetail["order"]["fulfilment"]): JobDetail => ({
  id: "job-1",
  orderId: "order-1",
  labId: "LAB01",
  status: "LEASED",
  attempts: 0,
  order: {
    id: "order-1",
    status: "PRINTING",
    fulfilment,
    subOrders: [
      { id: "order-1:1", number: 1, serviceId: "SV01", sheets: 5, items: [{ id: "i1", imageId: "a", designTemplateId: null, layout: null }] },
      { id: "order-1:2", number: 2, serviceId: "SV02", sheets: 1, items: [] },
    ],
  },
  images: [],
});

const ADDRESS = { country: "JP", postalCode: "530-0001", region: "Osaka", city: "Kita-ku", line1: "1-1 Umeda", line2: "Room 702", recipient: "Hanako Yamada" };

it("names the slip after its job and makes one only for a delivery", () => {
  expect(packingSlipName("job-1")).toBe("job-1.packing-slip.pdf");
  expect(needsPackingSlip(detail({ method: "DELIVERY", speed: "STANDARD", address: ADDRESS }))).toBe(true);
  expect(needsPackingSlip(detail({ method: "PICKUP", speed: "STANDARD", address: null }))).toBe(false);
  expect(needsPackingSlip(detail(null))).toBe(false);
});

it("prints the recipient, the address and each sub-order's service and sheets, readable by a PDF parser", async () => {
  const d = detail({ method: "DELIVERY", speed: "EXPRESS", address: ADDRESS });
  expect(addressLines(d)).toEqual(["Hanako Yamada", "1-1 Umeda", "Room 702", "530-0001 Osaka Kita-ku", "JP"]);
  const pdf = await packingSlipPdf(d, { sheetName: (id) => (id === "SV01" ? "A4" : "L"), now: new Date("2026-12-07T10:00:00Z") });
  expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  const lines = await pdfLines(pdf);
  for (const want of [
    "Packing slip",
    "Order order-1",
    "Express delivery, packed 2026-12-07",
    "Hanako Yamada",
    "1-1 Umeda",
    "Room 702",
    "530-0001 Osaka Kita-ku",
    "JP",
    "1. SV01 (A4): 5 sheets, 1 image",
    "2. SV02 (L): 1 sheet",
    "Total: 6 sheets",
  ]) {
    expect(lines).toContain(want);
  }
});

it("writes characters beyond Latin-1 as ? instead of dropping them", async () => {
  const d = detail({ method: "DELIVERY", speed: "STANDARD", address: { ...ADDRESS, recipient: "山田 Hanako" } });
  const lines = await pdfLines(await packingSlipPdf(d, { sheetName: () => "A4" }));
  expect(lines).toContain("?? Hanako");
});
