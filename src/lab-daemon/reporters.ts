/**
 * What the lab daemon tells the center on a schedule: its load, its printing history (from the
 * journal, until acknowledged), and the design templates it holds.
 */
import type { CenterClient } from "./center-client";
import { KeyRefusedError } from "./center-errors";
import type { HistoryInput, UserError } from "./center-protocol";
import type { JobQueue } from "./job-queue";
import type { Journal } from "./journal";
import type { LabTemplates } from "./lab-templates";
import { EXIT, reason, transient, type RunState } from "./run-state";

const HISTORY_BATCH = 100;

export interface ReportersDeps {
  client: CenterClient;
  journal: Journal;
  queue: JobQueue;
  templates: LabTemplates;
  run: RunState;
  say: (line: string) => void;
  loadEverySeconds: number;
  historyEverySeconds: number;
}

export class Reporters {
  private readonly client: CenterClient;
  private readonly journal: Journal;
  private readonly run: RunState;
  private readonly say: (line: string) => void;
  /** The history report under way, if any. */
  private historyInFlight: Promise<void> | null = null;
  private templatesReported: string | null = null;

  constructor(private readonly d: ReportersDeps) {
    this.client = d.client;
    this.journal = d.journal;
    this.run = d.run;
    this.say = d.say;
  }

  /** Starts the schedules; they end when the daemon stops. */
  start(): void {
    this.run.every(this.d.loadEverySeconds, async () => {
      await this.reportLoad();
      await this.reportTemplates();
    });
    this.run.every(this.d.historyEverySeconds, () => this.flushHistory());
  }

  /**
   * Tells the center which templates the lab holds, with each file's sha256, when the set changed
   * (and after each connect). Files the center does not know, or holds at another checksum, are
   * named to the operator and left out.
   */
  async reportTemplates(force = false): Promise<void> {
    if (!this.d.templates.dir || this.run.stopping) return;
    const held: Array<{ id: string; sha256: string }> = [];
    const seen = new Set<string>();
    for (const [id, file] of this.d.templates.list()) {
      if (id.includes(".") || seen.has(id)) continue; // the id without extension; the first file wins
      seen.add(id);
      const sha256 = await this.d.templates.fileHash(file);
      if (sha256) held.push({ id, sha256 });
    }
    const fingerprint = JSON.stringify(held);
    if (!force && fingerprint === this.templatesReported) return;
    try {
      for (let round = 0; round < 3; round++) {
        const errors = await this.client.reportTemplates(held);
        if (errors === null) return; // the center has no such operation
        if (errors.length === 0) {
          this.templatesReported = fingerprint;
          this.say(`design templates reported to the center: ${held.length === 0 ? "none" : held.map((t) => t.id).join(", ")}`);
          return;
        }
        const refused = new Set(errors.map((e) => indexIn(e, "templates")).filter((n): n is number => n !== null && n < held.length));
        for (const e of errors) {
          const n = indexIn(e, "templates");
          this.say(`design template ${n !== null && held[n] ? held[n].id : "report"} refused: ${e.code}: ${e.message}`);
        }
        if (refused.size === 0) return;
        const keep = held.filter((_, i) => !refused.has(i));
        held.length = 0;
        held.push(...keep);
      }
    } catch (e) {
      if (!transient(e)) this.say(`design templates not reported: ${reason(e)}`);
    }
  }

  private async reportLoad(): Promise<void> {
    const now = Date.now();
    const load = this.d.queue.loadNow(now);
    this.d.queue.restartWindow(now);
    try {
      const r = await this.client.reportLoad(load);
      if (r.errors.length > 0) this.say(`load report not taken: ${r.errors[0].code}: ${r.errors[0].message}`);
    } catch (e) {
      if (e instanceof KeyRefusedError) return this.run.fatal(e.message, EXIT.KEY_REFUSED);
      // The next report follows soon; an unreachable center is already being announced.
      if (!transient(e)) this.say(`load report failed: ${reason(e)}`);
    }
  }

  /**
   * Sends the printing history the center has not acknowledged, in batches. An entry stays in the
   * journal until reportPrintHistory answers for it, so a crash or an outage only delays it; the
   * center counts an entry it already has only once. One report at a time: a periodic one finds
   * the one under way and leaves it; the final one (on stop) waits for it, then sends what is left,
   * so that the stop does not close the journal under an answer still on its way.
   */
  flushHistory(final = false): Promise<void> {
    if (this.historyInFlight) return final ? this.historyInFlight.then(() => this.flushHistory(true)) : this.historyInFlight;
    const flight = this.sendHistory(final).finally(() => {
      this.historyInFlight = null;
    });
    this.historyInFlight = flight;
    return flight;
  }

  private async sendHistory(final: boolean): Promise<void> {
    try {
      let sent = 0;
      for (;;) {
        // Re-read each round: what was acknowledged or refused has left the journal.
        const batch: HistoryInput[] = this.journal.pendingHistory().slice(0, HISTORY_BATCH);
        if (batch.length === 0) break;
        const r = await this.client.reportHistory(batch);
        if (r.errors.length === 0) {
          this.journal.append({ op: "reported", jobs: batch.map((e) => e.jobId) });
          sent += batch.length;
          continue;
        }
        // Entries the center refuses one by one (it names their index) would block the rest forever.
        const refused = new Set(r.errors.map((e) => indexIn(e, "entries")).filter((n): n is number => n !== null && n < batch.length));
        if (refused.size === 0) {
          this.say(`printing history not taken (${r.errors[0].code}: ${r.errors[0].message}); sent again later`);
          break;
        }
        const ids = [...refused].map((n) => batch[n].jobId);
        this.journal.append({ op: "reported", jobs: ids });
        this.say(
          `printing history: the center refused ${ids.length} entr${ids.length === 1 ? "y" : "ies"} (${r.errors[0].code}: ${r.errors[0].message}); dropped them, the rest is sent again`,
        );
      }
      if (sent > 0) this.say(`printing history: ${sent} entr${sent === 1 ? "y" : "ies"} reported`);
    } catch (e) {
      if (e instanceof KeyRefusedError && !final) return this.run.fatal(e.message, EXIT.KEY_REFUSED);
      if (!transient(e) || final) this.say(`printing history not sent (${reason(e)}); sent again later`);
    }
  }
}

/** The list element a payload error is about, from its field path (["entries", "3", "jobId"]). */
function indexIn(e: UserError, list: string): number | null {
  const f = e.field ?? [];
  const at = f.indexOf(list);
  const n = at >= 0 && at + 1 < f.length ? Number(f[at + 1]) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}
