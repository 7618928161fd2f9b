/**
 * Feeds the pure lab ranking (lab-ranking.ts) with what the database and the presence registry
 * know: every lab's services, flows, location, latest load report, whether its daemon is online,
 * the design templates it holds, and the sheets the center has queued and leased there.
 *
 * The lab list is read on every placement and confirmation, so it is kept in memory: dropped at
 * once when labs, the catalog, a lab's load or its templates change (in any center process,
 * through the event bus), and in any case re-read after LAB_LIST_MAX_AGE_MS, so that a lab's
 * last-seen time (written by the process its daemon is connected to, without an event) is never
 * older than that here. The queued sheets are read with it, in one aggregate query over the open
 * print jobs (not one per lab); a job this process queues is added to the list at once
 * (`noteQueued`), so a burst of orders through one process sees each one it has just queued, and
 * jobs done or queued by other processes are seen at the next read, within LAB_LIST_MAX_AGE_MS.
 */
import type { EntityManager } from "typeorm";
import { LabEntity, LabServiceEntity } from "../labs/lab.entity";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "../design-templates/design-template.entity";
import { PrintJobEntity } from "../dispatch/print-job.entity";
import { SubOrderEntity } from "../orders/order.entity";
import { instantOrNull, toSafeInteger } from "../db/columns";
import type { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";
import type { AppContext } from "../core/request-context";
import { DEFAULT_WEIGHTS, rankLabs, type AssignmentDecision, type AssignmentRequest, type LabInfo, type RankingWeights } from "./lab-ranking";
import type { LabPresence } from "../labs/lab-presence.service";

/** How long the lab list is used before it is read again even without an invalidation. */
export const LAB_LIST_MAX_AGE_MS = 1000;

/** A lab as read, with the ranking's view of it kept while its online state stays the same. */
type StoredLab = { info: Omit<LabInfo, "online">; lastSeenAt: Date | null; view?: Readonly<LabInfo> };

export class AssignmentService {
  private cached: { labs: Promise<StoredLab[]>; until: number } | null = null;
  /** Bumped by every invalidation: a read that started before it is not kept. */
  private generation = 0;
  /** Reads of the lab list from the database, for tests and the benchmark. */
  readonly stats = { loads: 0 };
  /** How long a read list is used without an invalidation (tests lengthen it to count reads). */
  maxAgeMs = LAB_LIST_MAX_AGE_MS;

  constructor(
    private readonly app: AppContext,
    private readonly presence: LabPresence,
  ) {
    void (async () => {
      for await (const e of app.events.subscribe("invalidate")) if (e.kind === "labs" || e.kind === "catalog") this.forget();
    })();
  }

  /** Drops the cached lab list (a lab, its services or its load changed). */
  forget(): void {
    this.generation++;
    this.cached = null;
  }

  weights(): RankingWeights {
    return { ...DEFAULT_WEIGHTS, ...(this.app.config.assignmentWeights as Partial<RankingWeights>) };
  }

  /**
   * Every lab as the ranking sees it. With an entity manager (inside a transaction that may have
   * changed labs) the database is read; otherwise the cached list, read in two queries when stale.
   */
  async labs(em?: EntityManager): Promise<LabInfo[]> {
    const now = Date.now();
    const stored = em ? await this.read(em) : await this.cachedLabs(now);
    const grace = this.app.config.labOnlineGraceSeconds;
    // The ranking only reads these; with a thousand labs, not copying each one per order counts.
    return stored.map((lab) => {
      const online = this.presence.isOnline(lab.info.id, lab.lastSeenAt, grace, now);
      if (lab.view?.online !== online) lab.view = { ...lab.info, online };
      return lab.view;
    });
  }

  /**
   * A job of `sheets` sheets this process has just queued at the lab (committed): counted in the
   * cached list at once, so that the next order ranks with it.
   */
  noteQueued(labId: string, sheets: number, at = new Date()): void {
    const entry = this.cached;
    if (entry === null) return;
    void entry.labs.then(
      (labs) => {
        if (this.cached !== entry) return;
        const lab = labs.find((l) => l.info.id === labId);
        if (lab === undefined) return;
        lab.info = { ...lab.info, queuedSheets: lab.info.queuedSheets + sheets, lastAssignedAt: at };
        lab.view = undefined;
      },
      () => undefined,
    );
  }

  async decide(req: AssignmentRequest, em?: EntityManager): Promise<AssignmentDecision> {
    return rankLabs(await this.labs(em), req, { now: new Date(), loadMaxAgeMs: this.app.config.loadMaxAgeSeconds * 1000, weights: this.weights() });
  }

  /**
   * Why no lab can print each of these services for the shop and fulfilment method, as placing an
   * order there would find it (absent: some lab can): the ranking's own rules, one service at a
   * time, over the cached lab list. The address does not matter to whether a lab can print.
   */
  async unprintable(
    shopId: string,
    serviceIds: string[],
    fulfilment: { method: FulfilmentMethod; speed: FulfilmentSpeed } | null,
  ): Promise<Map<string, string>> {
    const labs = await this.labs();
    const opts = { now: new Date(), loadMaxAgeMs: this.app.config.loadMaxAgeSeconds * 1000, weights: this.weights() };
    const address = { country: "", postalCode: "" };
    const out = new Map<string, string>();
    for (const serviceId of serviceIds) {
      const req = { serviceIds: [serviceId], sheets: 1, shopId, labId: null, fulfilment: fulfilment && { ...fulfilment, address } };
      const d = rankLabs(labs, req, opts);
      if (d.ok) continue;
      const own = d.rejected.filter((r) => !r.reasons.includes(`not at shop ${shopId}`));
      const why = own.length ? own.map((r) => `lab ${r.labId}: ${r.reasons.join(", ")}`).join("; ") : `shop ${shopId} has no lab`;
      out.set(serviceId, `No lab can print service ${serviceId} for shop ${shopId}${fulfilment ? ` (${fulfilment.method})` : ""}: ${why}`);
    }
    return out;
  }

  private cachedLabs(now: number): Promise<StoredLab[]> {
    if (this.cached && now < this.cached.until) return this.cached.labs;
    const generation = this.generation;
    const labs = this.read(this.app.ds.manager);
    const entry = { labs, until: now + this.maxAgeMs };
    this.cached = entry;
    labs.then(
      () => {
        // Invalidated while reading: the next caller reads again.
        if (generation !== this.generation && this.cached === entry) this.cached = null;
      },
      () => {
        if (this.cached === entry) this.cached = null;
      },
    );
    return labs;
  }

  private async read(em: EntityManager): Promise<StoredLab[]> {
    this.stats.loads++;
    const [labs, links, held, queues] = await Promise.all([
      em.find(LabEntity, { order: { id: "ASC" } }),
      em.find(LabServiceEntity),
      heldTemplates(em),
      queuedSheetsByLab(em),
    ]);
    const services = new Map<string, string[]>();
    for (const l of links) {
      const list = services.get(l.labId) ?? [];
      list.push(l.serviceId);
      services.set(l.labId, list);
    }
    const templates = new Map<string, string[]>();
    for (const t of held) {
      const list = templates.get(t.labId) ?? [];
      list.push(t.designTemplateId);
      templates.set(t.labId, list);
    }
    return labs.map((l) => ({
      lastSeenAt: l.lastSeenAt,
      info: {
        id: l.id,
        name: l.name,
        shopId: l.shopId,
        serviceIds: services.get(l.id) ?? [],
        fulfilment: l.fulfilment.split(",").filter(Boolean) as FulfilmentMethod[],
        express: l.express,
        disabled: l.disabled,
        location: l.lat !== null && l.lng !== null ? { lat: l.lat, lng: l.lng } : null,
        postalCode: l.postalCode,
        region: l.region,
        utilisation: l.loadUtilisation,
        loadReportedAt: l.loadReportedAt,
        reportedQueuedSheets: l.loadQueuedSheets,
        capacitySheetsPerHour: l.capacitySheetsPerHour,
        queuedSheets: queues.get(l.id)?.sheets ?? 0,
        lastAssignedAt: queues.get(l.id)?.lastAt ?? null,
        designTemplateIds: templates.get(l.id) ?? [],
        maxOrderSheets: l.maxOrderSheets,
      },
    }));
  }
}

/** The design templates each lab holds at the center's current file (an old copy counts as not held). */
function heldTemplates(em: EntityManager): Promise<Array<{ labId: string; designTemplateId: string }>> {
  return em
    .createQueryBuilder(LabDesignTemplateEntity, "h")
    .innerJoin(DesignTemplateEntity, "t", "t.id = h.design_template_id AND t.sha256 = h.sha256")
    .select("h.lab_id", "labId")
    .addSelect("h.design_template_id", "designTemplateId")
    .getRawMany<{ labId: string; designTemplateId: string }>();
}

/**
 * The sheets of every lab's open print jobs (queued or leased) and when the newest was given to it:
 * one aggregate query over the open jobs and their sub-orders.
 */
async function queuedSheetsByLab(em: EntityManager): Promise<Map<string, { sheets: number; lastAt: Date | null }>> {
  const rows = await em
    .createQueryBuilder(PrintJobEntity, "j")
    .innerJoin(SubOrderEntity, "s", "s.order_id = j.order_id")
    .select("j.lab_id", "labId")
    .addSelect("SUM(s.sheets)", "sheets")
    .addSelect("MAX(j.created_at)", "lastAt")
    .where("j.status IN (:...open)", { open: ["QUEUED", "LEASED"] })
    .groupBy("j.lab_id")
    .getRawMany<{ labId: string; sheets: unknown; lastAt: unknown }>();
  return new Map(rows.map((r) => [r.labId, { sheets: toSafeInteger(r.sheets ?? 0, "queued sheets"), lastAt: instantOrNull(r.lastAt, "last assignment") }]));
}
