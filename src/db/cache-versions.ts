/**
 * Cache versions in the database: how every center process learns, within about a second, that
 * another writer committed a change to what it keeps in memory (the price books, the lab list,
 * verified lab keys, users), whether or not the processes share an event bus: the catalog import
 * run from the command line, or a second center without Redis.
 *
 * A transaction that emits a cache invalidation increments that kind's row (see unit-of-work), as
 * does the catalog import for every kind; each process reads the few rows once a second on a timer
 * (never on a request's path) and drops the caches of each kind whose version moved. Lab loads
 * ("labs") are not counted: they change every few seconds and the lab list is re-read every second
 * anyway.
 */
import type { DataSource, EntityManager } from "typeorm";
import { Column, Entity, PrimaryColumn } from "typeorm";
import type { Logger } from "pino";
import { incrementCounterRows } from "./counter-rows";
import { BACKGROUND_SQL } from "./query-counter";

/** The kinds of cache invalidation recorded in the database (a subset of the event bus's CACHE_KINDS). */
export const VERSIONED_CACHE_KINDS: readonly string[] = ["catalog", "prices", "lab-keys", "users"];

/** How often each process reads the versions. */
export const CACHE_VERSION_CHECK_MS = 1000;

/** One kind of cache and how many committed changes it has seen. */
@Entity("cache_versions")
export class CacheVersionEntity {
  @PrimaryColumn({ type: "varchar", length: 32 })
  kind!: string;

  @Column({ type: "bigint" })
  version!: string;
}

/** Counts a change of these kinds in the transaction of `em` (committed with it, or not at all). */
export async function bumpCacheVersions(em: EntityManager, kinds: Iterable<string>): Promise<void> {
  const versioned = [...kinds].filter((k) => VERSIONED_CACHE_KINDS.includes(k)).sort();
  await incrementCounterRows(em, "cache_versions", "kind", versioned);
}

export interface CacheVersionWatcher {
  /** Reads the versions now and reports the kinds that moved since the last read. */
  check(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads the versions once (the baseline: caches filled after it are at least that new), then every
 * `everyMs`, calling `changed(kind)` for each kind whose version differs from the last read (a
 * missing or unreadable baseline counts as a change). A failed read is logged and tried again.
 */
export async function watchCacheVersions(
  ds: DataSource,
  changed: (kind: string) => void,
  logger: Logger,
  everyMs = CACHE_VERSION_CHECK_MS,
): Promise<CacheVersionWatcher> {
  let seen = new Map<string, string>();
  let failing = false;
  const read = async (): Promise<Map<string, string>> => {
    const rows = (await ds.query(`${BACKGROUND_SQL}SELECT kind, version FROM cache_versions`)) as Array<{ kind: string; version: unknown }>;
    return new Map(rows.map((r) => [r.kind, String(r.version)]));
  };
  let running: Promise<void> | null = null;
  const check = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const now = await read();
        if (failing) logger.info("cache versions readable again");
        failing = false;
        // Compared for difference, not order: on SQLite a read may see a transaction that then rolls back.
        for (const [kind, version] of now) if (seen.get(kind) !== version) changed(kind);
        seen = now;
      } catch (err) {
        if (!failing) logger.warn({ err }, "reading cache versions failed; caches follow other processes' changes again once it works");
        failing = true;
      } finally {
        running = null;
      }
    })());
  try {
    seen = await read();
  } catch (err) {
    logger.warn({ err }, "reading cache versions failed at start");
  }
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    timer = setTimeout(() => void check().finally(() => !stopped && schedule()), everyMs);
    timer.unref();
  };
  schedule();
  return {
    check,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
