/**
 * What placing and settling a reorder share and can state without a database: the assignment
 * request of a reorder (delivery, at its shop), what is stored with it, and the pick among the
 * ranked labs that leaves the shoots' first-print labs out unless one of them is the only capable lab.
 */
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";
import type { AssignmentDecision, AssignmentRequest } from "../assignment/lab-ranking";

/** The delivery a reorder asks for, as stored with it (requestJson.fulfilment). */
export interface ReorderDelivery {
  method: FulfilmentMethod;
  speed: FulfilmentSpeed;
  address: { country: string; postalCode: string; region?: string | null; location?: { lat: number; lng: number } | null } | null;
}

/** What a reorder stores beside an order's request: its shoots and their first-print labs. */
export interface ReorderRequest {
  shopId: string;
  labId: null;
  fulfilment: ReorderDelivery;
  reorder: { shootIds: string[]; firstPrintLabIds: string[] };
}

/** The assignment request of a reorder: delivery, among the labs of its shop. */
export function reorderAssignment(shopId: string, services: Array<{ serviceId: string; sheets: number }>, delivery: ReorderDelivery): AssignmentRequest {
  return {
    serviceIds: [...new Set(services.map((s) => s.serviceId))],
    sheets: services.reduce((n, s) => n + s.sheets, 0),
    shopId,
    shopReason: "NAMED",
    labId: null,
    fulfilment: {
      method: FulfilmentMethod.DELIVERY,
      speed: delivery.speed ?? FulfilmentSpeed.STANDARD,
      address: delivery.address
        ? {
            country: delivery.address.country,
            postalCode: delivery.address.postalCode,
            region: delivery.address.region ?? null,
            location: delivery.address.location ?? null,
          }
        : null,
    },
  };
}

type Decided = Extract<AssignmentDecision, { ok: true }>;

/**
 * The ranking's answer with the shoots' first-print labs left out, when another capable lab
 * delivers: those labs print the event's first prints, and a reorder should not queue behind them.
 * The notes say why, for the order's assignment record.
 */
export function leaveOutFirstPrintLabs(decision: Decided, firstPrintLabIds: readonly string[]): { decision: Decided; notes: string[] } {
  const avoided = new Set(firstPrintLabIds);
  const others = decision.candidates.filter((c) => !avoided.has(c.labId));
  const left = decision.candidates.filter((c) => avoided.has(c.labId));
  if (left.length === 0) return { decision, notes: [] };
  if (others.length === 0) {
    return {
      decision,
      notes: [`the shoot's first-print lab ${decision.chosen.labId} is the only capable lab that delivers, so it prints the reorder too`],
    };
  }
  const why = `first-print lab of the reorder's shoot: left out, because another capable lab delivers (${others[0]!.labId})`;
  return {
    decision: {
      ...decision,
      chosen: others[0]!,
      candidates: others,
      rejected: [...left.map((c) => ({ labId: c.labId, reasons: [...c.reasons, why] })), ...decision.rejected],
    },
    notes: left.map((c) => `lab ${c.labId} is the shoot's first-print lab: left out, ${others[0]!.labId} prints the reorder`),
  };
}
