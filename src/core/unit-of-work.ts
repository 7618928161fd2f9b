/**
 * The shape of every mutation: one transaction, events published after commit, business failures
 * returned as payload errors with nothing written. A cache invalidation emitted in the transaction
 * is also counted in the database (cache-versions.ts), as its last statement, so that processes the
 * event bus does not reach follow the change too.
 */
import type { EntityManager } from "typeorm";
import { RollbackWithErrors, type UserErrorData } from "../common/errors";
import type { RequestContext } from "./request-context";
import { Outbox, type CacheInvalidation, type Emit } from "./events";
import { bumpCacheVersions } from "../db/cache-versions";
import { withTransaction } from "../db/transaction";

export interface Tx {
  em: EntityManager;
  /** Queue an event; it is sent only if the transaction commits. */
  emit: Emit;
}

export type Outcome<T> = { value: T; errors: [] } | { value: null; errors: UserErrorData[] };

export async function inTransaction<T>(ctx: RequestContext, work: (tx: Tx) => Promise<T>): Promise<Outcome<T>> {
  const outbox = new Outbox(ctx.app.events);
  const invalidated = new Set<string>();
  const emit: Emit = (topic, ...args) => {
    if (topic === "invalidate") invalidated.add((args[0] as CacheInvalidation).kind);
    outbox.emit(topic, ...args);
  };
  try {
    const value = await withTransaction(ctx.app.ds, async (em) => {
      // A unit may run more than once (a deadlock on MariaDB, a failed group commit on SQLite):
      // only the events of the run that commits are sent.
      outbox.clear();
      invalidated.clear();
      const result = await work({ em, emit });
      // Last: the version rows are held only from here to the commit.
      await bumpCacheVersions(em, invalidated);
      return result;
    });
    outbox.flush();
    return { value, errors: [] };
  } catch (e) {
    if (e instanceof RollbackWithErrors) return { value: null, errors: e.errors };
    throw e;
  }
}

/** Fails the unit (rolling it back) when any error was collected. */
export function rejectIf(errors: UserErrorData[]): void {
  if (errors.length > 0) throw new RollbackWithErrors(errors);
}
