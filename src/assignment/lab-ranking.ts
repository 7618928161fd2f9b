/**
 * Lab ranking: which lab prints an order.
 *
 * The order assigning system selects one lab on predetermined information (seed 000, claim 1):
 * the flow of the print (claim 2), each lab's load when the order arrives (claim 3), the
 * customer's address (claim 4), a lab the customer names (claim 5) and the content of the order
 * (claim 6). The ranked candidates are what the service shows a customer who wants to choose; the
 * lab they pick comes back as a named lab (claim 7). A home shop (seed 001, claim 3) arrives here
 * as the shop to restrict to, with `shopReason: "HOME_SHOP"`; a home lab (the same claim: the
 * customer connected to a lab) as `homeLabId`.
 *
 * Pure: no database, no GraphQL. The service loads every lab into {@link LabInfo}, calls
 * {@link rankLabs} and stores the whole {@link AssignmentDecision} with the order, so an admin can
 * read which labs were considered and why.
 *
 * Decisions made here, in the order they are checked:
 * 1. The flow. `fulfilment: null` means PICKUP (STANDARD) when a shop is given (named or home
 *    shop), because a shop without a flow can only mean "collect it there"; with no shop it means
 *    "any flow": no method, speed or address filter, and no distance term. PICKUP without a shop
 *    is PICKUP_NEEDS_SHOP even when a lab is named: the pickup place is the customer's choice and
 *    is not guessed from the lab. DELIVERY without an address is DELIVERY_NEEDS_ADDRESS.
 * 2. The named lab must exist (UNKNOWN_LAB), then be capable (LAB_CANNOT_PRINT, with every reason).
 *    A named lab is capable by the same rules as any other, so it must also be at the named shop.
 * 3. Capability: not disabled; at the shop, when one is given (any flow); does the method; does
 *    EXPRESS when the speed is EXPRESS; offers every service of the order; holds every design
 *    template the order's items name (seed 000 claim 6, seed 001 claims 5-6); takes an order of
 *    this many sheets when it declares a maximum. Every failing rule is listed, not just the
 *    first, so the record explains the whole rejection.
 * 4. The home lab: with no lab named, a capable home lab is chosen whatever its rank (rule
 *    HOME_LAB); one that cannot print the order (or is unknown) is passed over, and the chosen lab
 *    says why.
 * 5. Ranking (lower score is better) = distance term + load term + offline penalty:
 *    - distance, for DELIVERY only (for PICKUP the prints travel to the shop, not to the address):
 *      km x distancePerKm when lab and address both have coordinates; else the same postal code
 *      (-postalMatch), else the same first 3 characters of the postal code, the postal area in
 *      Japan (-postalMatch / 2), else the same region (-regionMatch), else +noLocation, which is
 *      also what a lab whose postal code and region are known but differ gets. Postal codes are
 *      compared without spaces and hyphens, regions case-insensitively; country is not compared
 *      because LabInfo carries none.
 *    - load: the estimated hours to print the order there x load: (sheets ahead + the order's
 *      sheets) / the lab's capacity in sheets per hour. The sheets ahead are the lab's own report
 *      (its queued sheets; its utilisation x capacity when it reported no sheets) when that report
 *      is fresh (within loadMaxAgeMs; stamped in the future, clock skew, counts as just made) and
 *      not older than the latest job the center gave the lab; otherwise the sheets the center has
 *      queued and leased there. So a burst of orders spreads over labs in proportion to their
 *      capacity: each order queued at a lab lengthens its estimate for the next. `load` (the
 *      scored utilisation) is the report's utilisation when the report was used, else null.
 *    - offline: +offline. Beyond the penalty, offline labs are sorted after every online lab
 *      whatever the weights say ("labs not connected rank last"); they stay candidates, because a
 *      lab pulls its queued jobs when it reconnects (seed 001, claim 1).
 *    Ties are broken by labId (code-unit order, not locale order) so the same inputs always give
 *    the same decision.
 */
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";
import { unreachable } from "../common/unreachable";

export interface LabInfo {
  id: string;
  name: string;
  shopId: string;
  serviceIds: string[];
  fulfilment: FulfilmentMethod[];
  express: boolean;
  disabled: boolean;
  location: { lat: number; lng: number } | null;
  postalCode: string | null;
  region: string | null;
  /** Last reported load: 0 idle, 1 full, more when overbooked; null if never reported. */
  utilisation: number | null;
  loadReportedAt: Date | null;
  /** Sheets the lab last reported queued; null if never reported. */
  reportedQueuedSheets: number | null;
  /** The lab's daemon is connected to the center. */
  online: boolean;
  /** Sheets the lab prints per hour (1 or more). */
  capacitySheetsPerHour: number;
  /** Sheets of the jobs the center has queued and leased at the lab (not yet done or failed). */
  queuedSheets: number;
  /** When the newest of those jobs was given to the lab; null when there are none. */
  lastAssignedAt: Date | null;
  /** The design templates the lab holds (reported by its daemon). */
  designTemplateIds: string[];
  /** The largest order, in sheets, the lab takes; null: no limit. */
  maxOrderSheets: number | null;
}

export interface AssignmentAddress {
  country: string;
  postalCode: string;
  region?: string | null;
  location?: { lat: number; lng: number } | null;
}

export interface AssignmentRequest {
  serviceIds: string[];
  sheets: number;
  /** The shop to print for: named by the customer, or their home shop. */
  shopId: string | null;
  /** Why shopId is set; absent means NAMED. */
  shopReason?: ShopReason;
  /** A lab the customer named (seed 000, claims 5 and 7). */
  labId: string | null;
  /** The customer's home lab (seed 001, claim 3): chosen when no lab is named and it can print the order. */
  homeLabId?: string | null;
  /** The design templates the order's items name. */
  designTemplateIds?: string[];
  fulfilment: {
    method: FulfilmentMethod;
    speed: FulfilmentSpeed;
    address: AssignmentAddress | null;
  } | null;
}

export interface RankingWeights {
  /** Score per km of great-circle distance to the delivery address. */
  distancePerKm: number;
  /** Score per hour of estimated time to print the order (a lab with an hour of work ahead weighs like a full lab). */
  load: number;
  /**
   * Not scored any more: the center always knows its own queue at a lab, so no load is unknown.
   * Kept so that configurations naming it still start.
   */
  unknownLoad: number;
  /** Penalty of a lab that is not connected (it ranks last regardless). */
  offline: number;
  /** Bonus (subtracted) for the same postal code as the address; half for the same postal area. */
  postalMatch: number;
  /** Bonus (subtracted) for the same region as the address. */
  regionMatch: number;
  /** Penalty when neither distance nor postal code nor region tells how near a lab is. */
  noLocation: number;
}

/**
 * One point per km: an hour of printing ahead weighs like 100 km, a lab whose nearness is unknown
 * like one 100 km away; a same postal code beats a lab 20 km away.
 */
export const DEFAULT_WEIGHTS: RankingWeights = Object.freeze({
  distancePerKm: 1,
  load: 100,
  unknownLoad: 50,
  offline: 10_000,
  postalMatch: 20,
  regionMatch: 10,
  noLocation: 100,
});

export interface Candidate {
  labId: string;
  shopId: string;
  score: number;
  distanceKm: number | null;
  /** The reported utilisation, when the lab's report gave the sheets ahead; else null. */
  load: number | null;
  /** Estimated hours to print the order there: (sheetsAhead + the order's sheets) / capacity. */
  hoursToPrint: number;
  /** Sheets ahead of the order at the lab. */
  sheetsAhead: number;
  /** Where sheetsAhead came from: the lab's fresh report, or the center's own queue. */
  loadSource: LoadSource;
  reasons: string[];
}

export type LoadSource = "REPORT" | "QUEUE";

export interface Rejected {
  labId: string;
  reasons: string[];
}

/** Why the order is restricted to a shop: named by the customer, their home shop, their home lab's shop. */
export type ShopReason = "NAMED" | "HOME_SHOP" | "HOME_LAB";

export type AssignmentRule = "NAMED_LAB" | "HOME_LAB" | "RANKED";

export type AssignmentFailureCode = "LAB_CANNOT_PRINT" | "NO_CAPABLE_LAB" | "PICKUP_NEEDS_SHOP" | "DELIVERY_NEEDS_ADDRESS" | "UNKNOWN_LAB";

export type AssignmentDecision =
  | { ok: true; chosen: Candidate; candidates: Candidate[]; rejected: Rejected[]; rule: AssignmentRule; at: string }
  | { ok: false; code: AssignmentFailureCode; message: string; field: string[]; rejected: Rejected[] };

export interface RankingOptions {
  now: Date;
  /** Load reports older than this count as unknown. */
  loadMaxAgeMs: number;
  weights?: RankingWeights;
}

type Failure = Extract<AssignmentDecision, { ok: false }>;

/** The flow after defaults: what filters apply and whether distance counts. */
type Flow = { kind: "ANY" } | { kind: "PICKUP"; speed: FulfilmentSpeed } | { kind: "DELIVERY"; speed: FulfilmentSpeed; address: AssignmentAddress };

export function rankLabs(labs: LabInfo[], req: AssignmentRequest, opts: RankingOptions): AssignmentDecision {
  const weights = opts.weights ?? DEFAULT_WEIGHTS;

  const flow = resolveFlow(req);
  if ("ok" in flow) return flow;

  let named: LabInfo | null = null;
  if (req.labId !== null) {
    named = labs.find((l) => l.id === req.labId) ?? null;
    if (named === null) {
      return failure("UNKNOWN_LAB", `There is no lab ${req.labId}`, ["input", "labId"], []);
    }
  }

  const capable: LabInfo[] = [];
  const rejected: Rejected[] = [];
  for (const lab of labs) {
    const reasons = rejectionReasons(lab, req, flow);
    if (reasons.length === 0) capable.push(lab);
    else rejected.push({ labId: lab.id, reasons });
  }
  rejected.sort((a, b) => compareIds(a.labId, b.labId));

  if (named !== null) {
    const namedId = named.id;
    const own = rejected.find((r) => r.labId === namedId);
    if (own !== undefined) {
      return failure("LAB_CANNOT_PRINT", `Lab ${namedId} cannot print this order: ${own.reasons.join("; ")}`, ["input", "labId"], rejected);
    }
  }
  if (capable.length === 0) {
    return failure("NO_CAPABLE_LAB", `No lab can print this order (${labs.length} considered)`, ["input"], rejected);
  }

  const scored = capable.map((lab) => ({ online: lab.online, candidate: score(lab, req, flow, weights, opts) }));
  // Offline labs go last whatever the weights: "labs not connected rank last".
  scored.sort((a, b) => Number(b.online) - Number(a.online) || a.candidate.score - b.candidate.score || compareIds(a.candidate.labId, b.candidate.labId));
  const candidates = scored.map((s) => s.candidate);

  let chosen = candidates[0];
  let rule: AssignmentRule = "RANKED";
  const homeLabId = req.homeLabId ?? null;
  if (named !== null) {
    const namedId = named.id;
    chosen = candidates.find((c) => c.labId === namedId) ?? unreachableLab(namedId);
    chosen.reasons.unshift("named by the customer");
    rule = "NAMED_LAB";
  } else if (homeLabId !== null) {
    const home = candidates.find((c) => c.labId === homeLabId);
    if (home !== undefined) {
      chosen = home;
      chosen.reasons.unshift("the customer's home lab");
      rule = "HOME_LAB";
    } else {
      const own = rejected.find((r) => r.labId === homeLabId);
      chosen.reasons.unshift(
        own !== undefined
          ? `the customer's home lab ${homeLabId} cannot print this order: ${own.reasons.join("; ")}`
          : `the customer's home lab ${homeLabId} is not a lab any more`,
      );
    }
  }
  return { ok: true, chosen, candidates, rejected, rule, at: opts.now.toISOString() };
}

/** Mean Earth radius (IUGG), km. */
const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance in km by the haversine formula (accurate to about 0.5% on the ellipsoid). */
export function greatCircleKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  // min(1, ...): rounding can push h a hair above 1 for antipodal points, and asin(>1) is NaN.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

// ---------------------------------------------------------------------------
// Flow and capability
// ---------------------------------------------------------------------------

function resolveFlow(req: AssignmentRequest): Flow | Failure {
  const f = req.fulfilment;
  if (f === null) {
    return req.shopId !== null ? { kind: "PICKUP", speed: FulfilmentSpeed.STANDARD } : { kind: "ANY" };
  }
  switch (f.method) {
    case FulfilmentMethod.PICKUP:
      if (req.shopId === null) {
        return failure("PICKUP_NEEDS_SHOP", "A pickup order needs the shop the prints are collected from", ["input", "shopId"], []);
      }
      return { kind: "PICKUP", speed: f.speed };
    case FulfilmentMethod.DELIVERY:
      if (f.address === null) {
        return failure("DELIVERY_NEEDS_ADDRESS", "A delivery order needs the address to deliver to", ["input", "fulfilment", "address"], []);
      }
      return { kind: "DELIVERY", speed: f.speed, address: f.address };
    default:
      return unreachable(f.method);
  }
}

/** Every reason the lab cannot print the order; empty when it can. */
function rejectionReasons(lab: LabInfo, req: AssignmentRequest, flow: Flow): string[] {
  const reasons: string[] = [];
  if (lab.disabled) reasons.push("disabled");
  if (req.shopId !== null && lab.shopId !== req.shopId) reasons.push(`not at shop ${req.shopId}`);

  switch (flow.kind) {
    case "ANY":
      break;
    case "PICKUP":
    case "DELIVERY": {
      const method = flow.kind === "PICKUP" ? FulfilmentMethod.PICKUP : FulfilmentMethod.DELIVERY;
      if (!lab.fulfilment.includes(method)) reasons.push(`does not do ${method}`);
      if (needsExpress(flow.speed) && !lab.express) reasons.push(`no ${FulfilmentSpeed.EXPRESS}`);
      break;
    }
    default:
      return unreachable(flow);
  }

  const offered = new Set(lab.serviceIds);
  for (const serviceId of new Set(req.serviceIds)) {
    if (!offered.has(serviceId)) reasons.push(`does not offer service ${serviceId}`);
  }
  const wanted = req.designTemplateIds ?? [];
  if (wanted.length > 0) {
    const held = new Set(lab.designTemplateIds);
    for (const templateId of new Set(wanted)) {
      if (!held.has(templateId)) reasons.push(`does not hold design template ${templateId}`);
    }
  }
  if (lab.maxOrderSheets !== null && req.sheets > lab.maxOrderSheets) {
    reasons.push(`takes orders of at most ${lab.maxOrderSheets} sheets (this one has ${req.sheets})`);
  }
  return reasons;
}

function needsExpress(speed: FulfilmentSpeed): boolean {
  switch (speed) {
    case FulfilmentSpeed.STANDARD:
      return false;
    case FulfilmentSpeed.EXPRESS:
      return true;
    default:
      return unreachable(speed);
  }
}

// ---------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------

function score(lab: LabInfo, req: AssignmentRequest, flow: Flow, w: RankingWeights, opts: RankingOptions): Candidate {
  const reasons: string[] = [];
  if (req.shopId !== null) reasons.push(shopReason(req.shopId, req.shopReason ?? "NAMED"));

  let total = 0;
  let distanceKm: number | null = null;
  if (flow.kind === "DELIVERY") {
    const d = distanceTerm(lab, flow.address, w);
    total += d.term;
    distanceKm = d.km;
    reasons.push(d.reason);
  }

  const l = loadTerm(lab, req.sheets, w, opts);
  total += l.term;
  reasons.push(l.reason);

  if (!lab.online) {
    total += w.offline;
    reasons.push("offline: ranks last");
  }
  return {
    labId: lab.id,
    shopId: lab.shopId,
    score: total,
    distanceKm,
    load: l.load,
    hoursToPrint: l.hours,
    sheetsAhead: l.sheetsAhead,
    loadSource: l.source,
    reasons,
  };
}

function shopReason(shopId: string, why: ShopReason): string {
  switch (why) {
    case "NAMED":
      return `at shop ${shopId} named by the customer`;
    case "HOME_SHOP":
      return `at the customer's home shop ${shopId}`;
    case "HOME_LAB":
      return `at shop ${shopId} of the customer's home lab`;
    default:
      return unreachable(why);
  }
}

function distanceTerm(lab: LabInfo, address: AssignmentAddress, w: RankingWeights): { term: number; km: number | null; reason: string } {
  const at = address.location ?? null;
  if (lab.location !== null && at !== null) {
    const km = greatCircleKm(lab.location, at);
    return { term: km * w.distancePerKm, km, reason: `${km.toFixed(1)} km from the delivery address` };
  }
  const labPostal = normalisePostal(lab.postalCode);
  const addrPostal = normalisePostal(address.postalCode);
  if (labPostal !== "" && labPostal === addrPostal) {
    return { term: -w.postalMatch, km: null, reason: "same postal code as the address" };
  }
  if (labPostal.length >= 3 && addrPostal.length >= 3 && labPostal.slice(0, 3) === addrPostal.slice(0, 3)) {
    return {
      term: -w.postalMatch / 2,
      km: null,
      reason: `same postal area as the address (postal code starts ${labPostal.slice(0, 3)})`,
    };
  }
  const labRegion = normaliseRegion(lab.region);
  if (labRegion !== "" && labRegion === normaliseRegion(address.region ?? null)) {
    return { term: -w.regionMatch, km: null, reason: `same region as the address (${lab.region})` };
  }
  const nothingKnown = lab.location === null && labPostal === "" && labRegion === "";
  return {
    term: w.noLocation,
    km: null,
    reason: nothingKnown
      ? "location unknown: no coordinates, postal code or region"
      : "distance unknown and neither postal code nor region matches the address",
  };
}

/**
 * The estimated time to print the order at the lab, from its fresh report or else the center's
 * own queue there (see the module comment), and its score.
 */
export function estimateLoad(
  lab: LabInfo,
  sheets: number,
  opts: Pick<RankingOptions, "now" | "loadMaxAgeMs">,
): { hours: number; sheetsAhead: number; source: LoadSource; load: number | null; why: string } {
  const capacity = Math.max(1, lab.capacitySheetsPerHour);
  let why: string;
  if (lab.utilisation === null || lab.loadReportedAt === null) {
    why = "the center's queue: never reported";
  } else {
    const ageMs = Math.max(0, opts.now.getTime() - lab.loadReportedAt.getTime());
    if (ageMs > opts.loadMaxAgeMs) {
      why = `the center's queue: last report older than ${formatDuration(opts.loadMaxAgeMs)}`;
    } else if (lab.lastAssignedAt !== null && lab.loadReportedAt.getTime() < lab.lastAssignedAt.getTime()) {
      why = "the center's queue: last report older than the latest job given to the lab";
    } else {
      const sheetsAhead = lab.reportedQueuedSheets ?? Math.round(lab.utilisation * capacity);
      return {
        hours: (sheetsAhead + sheets) / capacity,
        sheetsAhead,
        source: "REPORT",
        load: lab.utilisation,
        why: `load ${lab.utilisation.toFixed(2)} reported ${formatDuration(ageMs)} ago`,
      };
    }
  }
  const sheetsAhead = lab.queuedSheets;
  return { hours: (sheetsAhead + sheets) / capacity, sheetsAhead, source: "QUEUE", load: null, why };
}

function loadTerm(
  lab: LabInfo,
  sheets: number,
  w: RankingWeights,
  opts: RankingOptions,
): { term: number; load: number | null; hours: number; sheetsAhead: number; source: LoadSource; reason: string } {
  const e = estimateLoad(lab, sheets, opts);
  return {
    term: e.hours * w.load,
    load: e.load,
    hours: e.hours,
    sheetsAhead: e.sheetsAhead,
    source: e.source,
    reason: `${formatHours(e.hours)} to print: ${e.sheetsAhead} sheets ahead + ${sheets} at ${lab.capacitySheetsPerHour} sheets/h (${e.why})`,
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** "100-0005" and "1000005" are the same code; so are "sw1a 1aa" and "SW1A1AA". */
function normalisePostal(code: string | null): string {
  return code === null ? "" : code.replace(/[\s-]/g, "").toUpperCase();
}

function normaliseRegion(region: string | null): string {
  return region === null ? "" : region.trim().toLowerCase();
}

/** "45 s", "2 min", "1 h", "1 h 30 min": rounded down, for reasons a person reads. */
function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** "about 25 min", "about 1 h 15 min": an estimate, rounded to the minute (at least 1 min). */
function formatHours(hours: number): string {
  const minutes = Math.max(1, Math.round(hours * 60));
  if (minutes < 60) return `about ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${h} h` : `about ${h} h ${rest} min`;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function failure(code: AssignmentFailureCode, message: string, field: string[], rejected: Rejected[]): Failure {
  return { ok: false, code, message, field, rejected };
}

function unreachableLab(labId: string): never {
  // A capable named lab is always among the candidates; reaching this is a bug here.
  throw new TypeError(`Named lab ${labId} is capable but missing from the candidates`);
}
