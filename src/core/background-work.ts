/**
 * Background work a center runs on its own (lapsed leases, old load reports, retired shoots): one
 * run at a time, the next one scheduled when the last has ended (never overlapping), sooner when a
 * run stopped with work left, and a `stop` that waits for the run in progress, for a clean shutdown.
 * Timers do not keep the process alive.
 */
import type { Logger } from "pino";

export interface RunningWork {
  /** Ends the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

export interface Schedule {
  /** Before the first run. */
  firstDelayMs: number;
  /** Between the end of a run and the next. */
  everyMs: number;
  /** After a run that reported work left (default: everyMs). */
  againMs?: number;
}

/**
 * Runs `work` on `schedule` until stopped. `work` is given `shouldStop` (true once stopping has
 * begun, so a long run can end early) and may answer `{ complete: false }` to be run again sooner. A
 * failed run is logged with `failure` and the next one tries again.
 */
export function runInBackground(
  logger: Logger,
  failure: string,
  schedule: Schedule,
  work: (shouldStop: () => boolean) => Promise<{ complete?: boolean } | void>,
): RunningWork {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const next = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  const tick = () => {
    let wait = schedule.everyMs;
    running = work(() => stopped)
      .then((r) => {
        if (r && r.complete === false) wait = schedule.againMs ?? schedule.everyMs;
      })
      .catch((e: unknown) => logger.error({ err: e }, failure))
      .finally(() => {
        running = null;
        if (!stopped) next(wait);
      });
  };
  next(schedule.firstDelayMs);
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
