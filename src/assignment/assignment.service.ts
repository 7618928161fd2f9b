/**
 * Feeds the pure lab ranking (lab-ranking.ts) with what the database and the presence registry
 * know: every lab's services, flows, location, latest load and whether its daemon is online.
 */
import type { EntityManager } from "typeorm";
import { LabEntity, LabServiceEntity } from "../catalog/lab.entity";
import type { FulfilmentMethod } from "../catalog/fulfilment";
import type { AppContext } from "../graphql/context";
import { DEFAULT_WEIGHTS, rankLabs, type AssignmentDecision, type AssignmentRequest, type LabInfo, type RankingWeights } from "./lab-ranking";

export class AssignmentService {
  constructor(private readonly app: AppContext) {}

  weights(): RankingWeights {
    return { ...DEFAULT_WEIGHTS, ...(this.app.config.assignmentWeights as Partial<RankingWeights>) };
  }

  /** Every lab as the ranking sees it (two queries). */
  async labs(em: EntityManager = this.app.ds.manager): Promise<LabInfo[]> {
    const [labs, links] = await Promise.all([em.find(LabEntity, { order: { id: "ASC" } }), em.find(LabServiceEntity)]);
    const services = new Map<string, string[]>();
    for (const l of links) {
      const list = services.get(l.labId) ?? [];
      list.push(l.serviceId);
      services.set(l.labId, list);
    }
    const now = Date.now();
    return labs.map((l) => ({
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
      online: this.app.services.presence.isOnline(l.id, l.lastSeenAt, this.app.config.labOnlineGraceSeconds, now),
      capacitySheetsPerHour: l.capacitySheetsPerHour,
    }));
  }

  async decide(req: AssignmentRequest, em?: EntityManager): Promise<AssignmentDecision> {
    return rankLabs(await this.labs(em), req, { now: new Date(), loadMaxAgeMs: this.app.config.loadMaxAgeSeconds * 1000, weights: this.weights() });
  }
}
