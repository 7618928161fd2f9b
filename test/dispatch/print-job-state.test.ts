/** The print-job lifecycle's transition table, case by case. */
import {
  isFinished,
  isPrintable,
  jobMove,
  nextJobStatus,
  PRINT_JOB_EVENTS,
  PRINT_JOB_STATUSES,
  type PrintJobEvent,
  type PrintJobStatus,
} from "../../src/dispatch/print-job-state";

/** Every move the table allows; every other (state, event) pair is refused. */
const ALLOWED: Array<[PrintJobStatus, PrintJobEvent, PrintJobStatus]> = [
  ["QUEUED", "CLAIM", "LEASED"],
  ["QUEUED", "WITHDRAW", "FAILED"],
  ["LEASED", "COMPLETE", "DONE"],
  ["LEASED", "REQUEUE", "QUEUED"],
  ["LEASED", "FAIL", "FAILED"],
];

describe("nextJobStatus", () => {
  it.each(ALLOWED)("%s --%s--> %s", (from, event, to) => {
    expect(nextJobStatus(from, event)).toBe(to);
  });

  const refused = PRINT_JOB_STATUSES.flatMap((s) => PRINT_JOB_EVENTS.map((e) => [s, e] as [PrintJobStatus, PrintJobEvent])).filter(
    ([s, e]) => !ALLOWED.some(([from, event]) => from === s && event === e),
  );

  it("refuses the other 15 pairs", () => {
    expect(refused).toHaveLength(PRINT_JOB_STATUSES.length * PRINT_JOB_EVENTS.length - ALLOWED.length);
    expect(refused).toHaveLength(15);
  });

  it.each(refused)("%s cannot %s", (from, event) => {
    expect(nextJobStatus(from, event)).toBeNull();
  });
});

describe("jobMove (the conditional UPDATE's states)", () => {
  it.each([
    ["CLAIM", { from: "QUEUED", to: "LEASED" }],
    ["COMPLETE", { from: "LEASED", to: "DONE" }],
    ["REQUEUE", { from: "LEASED", to: "QUEUED" }],
    ["FAIL", { from: "LEASED", to: "FAILED" }],
    ["WITHDRAW", { from: "QUEUED", to: "FAILED" }],
  ] as Array<[PrintJobEvent, { from: PrintJobStatus; to: PrintJobStatus }]>)("%s", (event, move) => {
    expect(jobMove(event)).toEqual(move);
  });
});

describe("isPrintable and isFinished", () => {
  it.each([
    ["QUEUED", true, false],
    ["LEASED", true, false],
    ["DONE", false, true],
    ["FAILED", false, true],
  ] as Array<[PrintJobStatus, boolean, boolean]>)("%s: printable %s, finished %s", (status, printable, finished) => {
    expect(isPrintable(status)).toBe(printable);
    expect(isFinished(status)).toBe(finished);
  });

  it("throws for a status the table does not know", () => {
    expect(() => isPrintable("LOST" as PrintJobStatus)).toThrow("Unreachable case");
    expect(() => isFinished("LOST" as PrintJobStatus)).toThrow("Unreachable case");
  });
});
