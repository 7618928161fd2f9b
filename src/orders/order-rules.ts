/**
 * What the order use cases share and can state without a database: the assignment record stored
 * with an order, the request hash, page cursors, and the planning of a move through the orders'
 * transition table.
 */
import { createHash } from "node:crypto";
import { userError, type UserErrorData } from "../common/errors";
import { FulfilmentSpeed } from "../catalog/fulfilment";
import type { AssignmentDecision, AssignmentRequest, Candidate, Rejected, ShopReason } from "../assignment/lab-ranking";
import { nextStatus, type OrderEvent, type OrderStatus } from "./order-state";
import type { OrderEntity } from "./order.entity";
import type { OrderInput } from "./order.input";

/** The decision stored with an order: the ranking's answer plus why the pricing shop was chosen. */
export interface StoredAssignment {
  rule: string;
  decidedAt: string;
  chosenLabId: string | null;
  notes: string[];
  candidates: Candidate[];
  /** Candidates ranked but not stored (absent in records made before the bound: 0). */
  candidatesOmitted?: number;
  rejected: Rejected[];
  rejectedOmitted?: number;
}

/** How many candidates and rejections an order's stored decision keeps. */
export const STORED_CANDIDATES = 10;
export const STORED_REJECTIONS = 20;
/** labCandidates answers at most this many labs (default DEFAULT_LAB_CANDIDATES). */
export const MAX_LAB_CANDIDATES = 100;
export const DEFAULT_LAB_CANDIDATES = 20;

/** The design templates an order's items name, sorted, each once. */
export function designTemplatesOf(input: Pick<OrderInput, "subOrders">): string[] {
  const ids = new Set<string>();
  for (const s of input.subOrders) for (const it of s.items) if (it.designTemplateId) ids.add(it.designTemplateId);
  return [...ids].sort();
}

/**
 * What the assignment service is asked for an order: its services, sheets, design templates, shop
 * and fulfilment. `stored` is what the placement kept for the confirmation, whose input has no items.
 */
export function assignmentRequest(
  input: OrderInput,
  shopId: string | null,
  reason: ShopReason,
  stored?: { designTemplateIds?: string[]; homeLabId?: string | null },
): AssignmentRequest {
  return {
    serviceIds: [...new Set(input.subOrders.map((s) => s.serviceId))],
    designTemplateIds: stored?.designTemplateIds ?? designTemplatesOf(input),
    homeLabId: stored?.homeLabId ?? null,
    sheets: input.subOrders.reduce((n, s) => n + s.sheets, 0),
    shopId,
    shopReason: reason,
    labId: input.labId ?? null,
    fulfilment: input.fulfilment
      ? {
          method: input.fulfilment.method,
          speed: input.fulfilment.speed ?? FulfilmentSpeed.STANDARD,
          address: input.fulfilment.address
            ? {
                country: input.fulfilment.address.country,
                postalCode: input.fulfilment.address.postalCode,
                region: input.fulfilment.address.region ?? null,
                location: input.fulfilment.address.location ?? null,
              }
            : null,
        }
      : null,
  };
}

/**
 * The decision as stored with the order: the best candidates and the first rejections (by lab id),
 * with how many more there were. A network of a thousand labs would otherwise store a thousand
 * entries with every order. The chosen lab is always among the stored candidates.
 */
export function stored(decision: Extract<AssignmentDecision, { ok: true }>, notes: string[]): StoredAssignment {
  const top = decision.candidates.slice(0, STORED_CANDIDATES);
  if (!top.includes(decision.chosen)) top[top.length - 1] = decision.chosen;
  return {
    rule: decision.rule,
    decidedAt: decision.at,
    chosenLabId: decision.chosen.labId,
    notes,
    candidates: top,
    candidatesOmitted: decision.candidates.length - top.length,
    rejected: decision.rejected.slice(0, STORED_REJECTIONS),
    rejectedOmitted: Math.max(0, decision.rejected.length - STORED_REJECTIONS),
  };
}

export function illegal(from: OrderStatus, event: OrderEvent, field: string[]): UserErrorData {
  return userError("ILLEGAL_TRANSITION", `An order that is ${from} cannot ${event.toLowerCase().replace("_", " ")}`, field);
}

/** A stable digest of the order input: the same input, the same hash, whatever the key order. */
export function hashInput(input: unknown): string {
  return createHash("sha256").update(stableJson(input)).digest("hex");
}

function stableJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export function encodeCursor(o: OrderEntity): string {
  return Buffer.from(`${o.placedAt.getTime()}:${o.id}`).toString("base64url");
}

export function decodeCursor(s: string): { t: number; id: string } | null {
  const m = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(s, "base64url").toString());
  return m ? { t: Number(m[1]), id: m[2] } : null;
}

/** The changes that move `order` through `events` (the transition table decides), its version raised. */
export function transitionPatch(
  order: OrderEntity,
  events: OrderEvent[],
  changes: Partial<OrderEntity>,
  now: Date,
): { patch: Partial<OrderEntity> } | { errors: UserErrorData[] } {
  let status = order.status;
  for (const e of events) {
    const next = nextStatus(status, e);
    if (next === null) return { errors: [illegal(status, e, ["orderId"])] };
    status = next;
  }
  return { patch: { ...changes, status, version: order.version + 1, updatedAt: now } };
}

/**
 * A sub-order's id: its order's id and its number, so that it is unique across all orders (a
 * client's normalised cache keys on type and id) and stable for as long as the order exists.
 */
export function subOrderId(orderId: string, number: number): string {
  return `${orderId}:${number}`;
}

/** A stored item layout (the JSON of a checked LayoutInput), typed; null for none or one that cannot be read. */
export function layoutOf(json: string | null): { page: number; x: number; y: number; width: number; height: number; rotation: number } | null {
  if (json === null) return null;
  try {
    const v = JSON.parse(json) as Record<string, unknown>;
    const num = (k: string, dflt?: number): number => (typeof v[k] === "number" ? (v[k] as number) : (dflt ?? NaN));
    const layout = { page: num("page", 1), x: num("x"), y: num("y"), width: num("width"), height: num("height"), rotation: num("rotation", 0) };
    return Object.values(layout).every(Number.isFinite) ? layout : null;
  } catch {
    return null;
  }
}
