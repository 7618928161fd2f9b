/**
 * Runs N workers in a closed loop (each starts its next order when the last one ends) through a
 * warm-up and then a timed window, and counts what completed inside the window: throughput is
 * orders completed in the window over its length, latency is each such order's own time from its
 * first request to its last answer. Orders in flight when the window closes are finished but not
 * counted; workers start no new ones.
 *
 * Failures are counted whenever they happen (warm-up included) and the first few are kept for the
 * report; a worker that fails many times in a row stops, so a dead server ends the run quickly.
 */
import { performance } from "node:perf_hooks";

/** One order, start to finish; throws to report a failure. */
export type Unit = (worker: number, seq: number) => Promise<void>;

export interface TimedOptions {
  workers: number;
  warmupMs: number;
  durationMs: number;
  /** Called when the window opens and closes, e.g. to read CPU time and server counters. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
  /** Workers start no new order once this is aborted (Ctrl-C). */
  signal?: AbortSignal;
}

export interface TimedResult {
  /** Orders completed inside the window. */
  completed: number;
  /** The window's length as it really was (timers fire a little late). */
  seconds: number;
  /** Latencies in ms of the orders completed inside the window, ascending. */
  latencies: Float64Array;
  failures: number;
  failureSamples: string[];
  /** Workers that gave up after too many failures in a row. */
  gaveUp: number;
}

const MAX_FAILURES_IN_A_ROW = 50;
const SAMPLES = 5;

export async function runTimed(opts: TimedOptions, unit: Unit): Promise<TimedResult> {
  const startedAt = performance.now();
  const window = { start: startedAt + opts.warmupMs, end: startedAt + opts.warmupMs + opts.durationMs, openedAt: NaN, closedAt: NaN };
  const ends: number[] = [];
  const latencies: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  let gaveUp = 0;

  const opened = setTimeout(() => {
    window.openedAt = performance.now();
    opts.onWindowStart?.();
  }, opts.warmupMs);
  const closed = setTimeout(() => {
    window.closedAt = performance.now();
    opts.onWindowEnd?.();
  }, opts.warmupMs + opts.durationMs);

  const worker = async (w: number): Promise<void> => {
    let inARow = 0;
    for (let seq = 0; performance.now() < window.end && !opts.signal?.aborted; seq++) {
      const t0 = performance.now();
      try {
        await unit(w, seq);
        const t1 = performance.now();
        ends.push(t1);
        latencies.push(t1 - t0);
        inARow = 0;
      } catch (e) {
        failures++;
        if (failureSamples.length < SAMPLES) failureSamples.push(`worker ${w}, order ${seq}: ${e instanceof Error ? e.message : String(e)}`);
        if (++inARow >= MAX_FAILURES_IN_A_ROW) {
          gaveUp++;
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)));

  // Every worker may have given up before the timers fired: the window then ends now.
  clearTimeout(opened);
  clearTimeout(closed);
  const now = performance.now();
  if (Number.isNaN(window.openedAt)) {
    window.openedAt = Math.min(now, window.start);
    opts.onWindowStart?.();
  }
  if (Number.isNaN(window.closedAt)) {
    window.closedAt = now;
    opts.onWindowEnd?.();
  }
  const inWindow: number[] = [];
  for (let i = 0; i < ends.length; i++) if (ends[i] >= window.openedAt && ends[i] <= window.closedAt) inWindow.push(latencies[i]);
  return {
    completed: inWindow.length,
    seconds: Math.max(1e-3, (window.closedAt - window.openedAt) / 1000),
    latencies: Float64Array.from(inWindow).sort(),
    failures,
    failureSamples,
    gaveUp,
  };
}
