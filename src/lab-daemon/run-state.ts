/**
 * How the lab daemon runs and stops, shared by its parts: the exit codes, whether it is stopping
 * (with a signal that cuts long waits short), a fatal error that stops it with a code, calls to the
 * center retried while it is unreachable, and schedules that end with the daemon.
 */
import { CenterGraphQLError, CenterUnreachableError, backoffDelay, sleep } from "./center-errors";

/** Exit codes of the daemon's process. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, KEY_REFUSED: 3 } as const;

/** After SIGTERM, how long calls that settle a job in hand (complete, fail) keep being retried. */
const STOP_GRACE_MS = 20000;

/** Thrown by a retried call cut short because the daemon is stopping. */
export class StoppedError extends Error {
  constructor() {
    super("the daemon is stopping");
  }
}

/** Whether a failed call to the center is worth trying again (it was away or overloaded). */
export function transient(e: unknown): boolean {
  return (
    e instanceof CenterUnreachableError ||
    (e instanceof CenterGraphQLError && (e.code === "INTERNAL_SERVER_ERROR" || e.code === "BAD_RESPONSE" || e.code === "RATE_LIMITED"))
  );
}

export function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RunState {
  private stoppingNow = false;
  private fatalAt: number | null = null;
  private stopDeadline: number | null = null;
  /** Aborted when the daemon starts stopping: cuts long retry waits short. */
  private readonly stopSignal = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly say: (line: string) => void,
    private readonly stopGraceMs: number | undefined,
    /** Stops the daemon (after a fatal error). */
    private readonly stop: () => void,
  ) {}

  get stopping(): boolean {
    return this.stoppingNow;
  }

  /** The exit code of the fatal error that stopped the daemon, if one did. */
  get fatalCode(): number | null {
    return this.fatalAt;
  }

  /** Claims no more and cuts waits short; the caller finishes the rest of the stop. */
  beginStop(): void {
    this.stoppingNow = true;
    this.stopSignal.abort();
  }

  fatal(message: string, code: number): void {
    if (this.fatalAt !== null) return;
    this.fatalAt = code;
    process.stderr.write(`printmesh-lab: ${message}\n`);
    this.stop();
  }

  /**
   * Runs a call to the center, retrying while the center is unreachable (capped, jittered
   * backoff). Stops retrying when the daemon stops (after a short grace for calls that settle a
   * job in hand).
   */
  async retrying<T>(jobId: string, what: string, call: () => Promise<T>, opts: { duringStop?: boolean } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!transient(e)) throw e;
        if (this.stoppingNow && (!opts.duringStop || Date.now() > (this.stopDeadline ??= Date.now() + (this.stopGraceMs ?? STOP_GRACE_MS))))
          throw new StoppedError();
        // While stopping, a call that settles a job in hand is tried every second until the grace ends.
        const delay = this.stoppingNow ? 1000 : backoffDelay(attempt, 1000, 30000);
        this.say(`job ${jobId}: could not ${what}: ${reason(e)}; retrying in ${Math.max(1, Math.round(delay / 1000))}s`);
        await sleep(delay, this.stoppingNow ? undefined : this.stopSignal.signal);
      }
    }
  }

  /** Runs `task` every `seconds` (never when not above 0) until the daemon stops. */
  every(seconds: number, task: () => Promise<void> | void): void {
    if (!(seconds > 0)) return;
    const t = setInterval(() => {
      if (!this.stoppingNow) void Promise.resolve(task()).catch((e) => this.say(`scheduled task failed: ${reason(e)}`));
    }, seconds * 1000);
    this.timers.push(t);
  }

  clearSchedules(): void {
    for (const t of this.timers) clearInterval(t);
  }
}
