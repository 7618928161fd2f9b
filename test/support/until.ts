/**
 * The one way tests wait for something: poll a condition until it holds, instead of sleeping a
 * fixed time and hoping it has happened by then.
 */

export interface UntilOptions {
  /** How long to keep polling before failing; 5 s unless told. */
  timeoutMs?: number;
  /** The pause between polls; small, so a test goes on as soon as the condition holds. */
  intervalMs?: number;
  /** What to add to the failure (a process's output, the events seen), read only when it fails. */
  detail?: () => string;
}

type Truthy<T> = Exclude<T, null | undefined | false | 0 | "">;

/**
 * Resolves with the condition's first truthy value (so a probe can hand back what it found);
 * rejects after `timeoutMs` with a message naming `what`. The condition may be sync or async;
 * an error it throws fails the wait at once.
 */
export async function until<T>(what: string, condition: () => T | Promise<T>, options: UntilOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 5000, intervalMs = 20, detail } = options;
  const started = Date.now();
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() - started > timeoutMs) {
      const more = detail?.();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${more ? `\n${more}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
