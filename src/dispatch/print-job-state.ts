/**
 * The print-job lifecycle as an explicit transition table, like the orders' (orders/order-state).
 * Every change of a job's status is planned here: `nextJobStatus` for a job as read, `jobMove` for
 * the conditional UPDATE that moves a job without reading it (its WHERE names the states the event
 * may leave). A move the table does not allow is refused, never forced. Pure: no database, no
 * GraphQL.
 */
import { unreachable } from "../common/unreachable";

export type PrintJobStatus = "QUEUED" | "LEASED" | "DONE" | "FAILED";

export type PrintJobEvent =
  | "CLAIM" // the lab takes the job under a lease
  | "COMPLETE" // the lab printed it, with the lease's token
  | "REQUEUE" // the lab failed it retryably, or the lease ran out: back in the queue
  | "FAIL" // the lab gave up, or the attempts ran out
  | "WITHDRAW"; // the order was cancelled or moved to another lab before a lab claimed the job

export const PRINT_JOB_TRANSITIONS: Readonly<Record<PrintJobStatus, Partial<Record<PrintJobEvent, PrintJobStatus>>>> = {
  QUEUED: { CLAIM: "LEASED", WITHDRAW: "FAILED" },
  LEASED: { COMPLETE: "DONE", REQUEUE: "QUEUED", FAIL: "FAILED" },
  DONE: {},
  FAILED: {},
};

export const PRINT_JOB_STATUSES = Object.keys(PRINT_JOB_TRANSITIONS) as PrintJobStatus[];
export const PRINT_JOB_EVENTS: readonly PrintJobEvent[] = ["CLAIM", "COMPLETE", "REQUEUE", "FAIL", "WITHDRAW"];

/** The state after `event`, or null when the table does not allow it. */
export function nextJobStatus(from: PrintJobStatus, event: PrintJobEvent): PrintJobStatus | null {
  return PRINT_JOB_TRANSITIONS[from][event] ?? null;
}

/** A job's move in SQL: the one state it may leave and the one it enters. */
export interface PrintJobMove {
  from: PrintJobStatus;
  to: PrintJobStatus;
}

/**
 * The state `event` leaves and the state it leads to. Every event of the table leaves exactly one
 * state, so a job can be moved by one conditional UPDATE (`status = from`) without reading it.
 */
export function jobMove(event: PrintJobEvent): PrintJobMove {
  const from = PRINT_JOB_STATUSES.filter((s) => nextJobStatus(s, event) !== null);
  if (from.length !== 1) throw new Error(`${event} does not leave exactly one print-job state`);
  return { from: from[0]!, to: nextJobStatus(from[0]!, event)! };
}

/** Whether the job's lab may still fetch its content and print it. */
export function isPrintable(status: PrintJobStatus): boolean {
  switch (status) {
    case "QUEUED":
    case "LEASED":
      return true;
    case "DONE":
    case "FAILED":
      return false;
    default:
      return unreachable(status);
  }
}

/** Whether the job has ended (no event of the table leaves it). */
export function isFinished(status: PrintJobStatus): boolean {
  switch (status) {
    case "QUEUED":
    case "LEASED":
      return false;
    case "DONE":
    case "FAILED":
      return true;
    default:
      return unreachable(status);
  }
}
