/**
 * What the lab daemon says to the center and hears back, in the terms of the public GraphQL API:
 * the operations it sends (the dispatch benchmark's labs send the same) and the shapes of their
 * answers and of the printJobs subscription's events.
 */

export type PrintJobStatus = "QUEUED" | "LEASED" | "DONE" | "FAILED";

/** A job as the printJobs subscription announces it. */
export interface JobEvent {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  lastError?: string | null;
  /** Sheets ordered, over all sub-orders (for the load report). */
  sheets: number;
}

export interface UserError {
  code: string;
  message: string;
  field?: string[] | null;
}

export interface JobImage {
  imageId: string;
  /**
   * A signed, short-lived download path relative to the center's URL (or an absolute URL); null for
   * a stock image the center holds no bytes of (the lab prints it from its own library).
   */
  url: string | null;
  sha256: string | null;
  bytes: number | null;
  width: number | null;
  height: number | null;
  contentType: string | null;
}

/** The center's print check on an item (LOW_RESOLUTION: too few pixels for the print size). */
export interface JobWarning {
  code: string;
  dpi: number;
  minDpi: number;
  message: string;
}

export interface JobItem {
  id: string;
  imageId: string;
  designTemplateId: string | null;
  layout: string | null;
  /** Absent from a center that does not check prints. */
  warnings?: JobWarning[];
}

/** What a sub-order prints on, as its service stated it when the order was quoted. */
export interface JobPrintSize {
  /** A named size (L, 2L, KG, A4, POSTCARD, ...); null for a custom size. */
  name: string | null;
  widthMm: number;
  heightMm: number;
  borderless: boolean;
  fit: "FILL" | "FIT";
}

export interface JobSubOrder {
  id: string;
  /** 1, 2, ...: the sub-order's place in its order. */
  number: number;
  serviceId: string;
  sheets: number;
  /** null: the order states no size (the daemon's default applies). */
  printSize?: JobPrintSize | null;
  items: JobItem[];
}

/** The order's shop, as the lab may see it (its own shop). */
export interface JobShop {
  id: string;
  name: string;
}

export interface JobAddress {
  country: string;
  postalCode: string;
  region: string | null;
  city: string | null;
  line1: string | null;
  line2: string | null;
  recipient: string | null;
}

/** How the prints are handed over, as the customer gave it; the address is set for DELIVERY. */
export interface JobFulfilment {
  method: "PICKUP" | "DELIVERY";
  speed: "STANDARD" | "EXPRESS";
  address: JobAddress | null;
}

/** The whole job, as the printJob query gives it to its lab. */
export interface JobDetail {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  order: {
    id: string;
    status: string;
    subOrders: JobSubOrder[];
    fulfilment: JobFulfilment | null;
    shopId?: string | null;
    /** null when the lab may not see the shop (not its own). */
    shop?: JobShop | null;
    customerReference?: string | null;
    confirmedAt?: string | null;
    dueAt?: string | null;
  };
  images: JobImage[];
}

export interface ClaimResult {
  job: { id: string; orderId: string; status: PrintJobStatus; attempts: number } | null;
  leaseToken: string | null;
  leaseExpiresAt: string | null;
  errors: UserError[];
}

export interface JobPayload {
  job: { id: string; status: PrintJobStatus; attempts: number } | null;
  errors: UserError[];
}

export interface RenewResult {
  job: { id: string; status: PrintJobStatus; attempts: number; leaseExpiresAt: string | null } | null;
  errors: UserError[];
}

export interface LoadInput {
  queuedJobs: number;
  queuedSheets: number;
  utilisation: number;
}

export interface HistoryInput {
  jobId: string;
  printedAt: string;
  sheets: number;
  printer: string | null;
  ok: boolean;
}

const JOB_EVENT_FIELDS = "id orderId labId status attempts lastError order { subOrders { sheets } }";
/** The daemon's subscription, as it sends it (the dispatch benchmark's labs send the same). */
export const SUBSCRIPTION = `subscription LabPrintJobs { printJobs { job { ${JOB_EVENT_FIELDS} } } }`;
export const ERRORS = "errors { code message field }";
/** The daemon's claim and completion, as it sends them (the dispatch benchmark sends the same). */
export const CLAIM = `mutation LabClaimPrintJob($jobId: ID!, $claimKey: String) { claimPrintJob(jobId: $jobId, claimKey: $claimKey) { job { id orderId status attempts } leaseToken leaseExpiresAt ${ERRORS} } }`;
export const COMPLETE = `mutation LabCompletePrintJob($jobId: ID!, $leaseToken: String!) { completePrintJob(jobId: $jobId, leaseToken: $leaseToken) { job { id status attempts } ${ERRORS} } }`;
export const RENEW = `mutation LabRenewPrintJobLease($jobId: ID!, $leaseToken: String!) { renewPrintJobLease(jobId: $jobId, leaseToken: $leaseToken) { job { id status attempts leaseExpiresAt } ${ERRORS} } }`;
export const FAIL = `mutation LabFailPrintJob($jobId: ID!, $leaseToken: String!, $reason: String!, $retryable: Boolean!) { failPrintJob(jobId: $jobId, leaseToken: $leaseToken, reason: $reason, retryable: $retryable) { job { id status attempts } ${ERRORS} } }`;
export const PRINT_JOB = `query LabPrintJob($id: ID!) { printJob(id: $id) { id orderId labId status attempts order { id status shopId shop { id name } customerReference confirmedAt dueAt subOrders { id number serviceId sheets printSize { name widthMm heightMm borderless fit } items { id imageId designTemplateId layout warnings { code dpi minDpi message } } } fulfilment { method speed address { country postalCode region city line1 line2 recipient } } } images { imageId url sha256 bytes width height contentType } } }`;
export const JOB_STATUS = `query LabPrintJobStatus($id: ID!) { printJob(id: $id) { id status attempts } }`;
export const TEMPLATES = `mutation LabReportTemplates($templates: [HeldDesignTemplateInput!]!) { reportLabTemplates(templates: $templates) { ${ERRORS} } }`;
export const LOAD = `mutation LabReportLoad($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted ${ERRORS} } }`;
export const HISTORY = `mutation LabReportPrintHistory($entries: [PrintHistoryInput!]!) { reportPrintHistory(entries: $entries) { stored ${ERRORS} } }`;

/** A printJobs event as it arrives. */
export interface RawJobEvent {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  lastError?: string | null;
  order?: { subOrders?: Array<{ sheets: number }> } | null;
}

/** An event as the daemon works with it: the job's sheets summed over its sub-orders. */
export function toJobEvent(raw: RawJobEvent): JobEvent {
  const sheets = (raw.order?.subOrders ?? []).reduce((n, s) => n + (Number.isFinite(s.sheets) ? s.sheets : 0), 0);
  return { id: raw.id, orderId: raw.orderId, labId: raw.labId, status: raw.status, attempts: raw.attempts, lastError: raw.lastError ?? null, sheets };
}
