import { FulfilmentMethod, FulfilmentSpeed } from "../../src/catalog/fulfilment";
import {
  DEFAULT_WEIGHTS,
  greatCircleKm,
  rankLabs,
  type AssignmentDecision,
  type AssignmentRequest,
  type Candidate,
  type LabInfo,
  type RankingWeights,
  type Rejected,
} from "../../src/assignment/lab-ranking";

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

const NOW = new Date("2026-04-01T09:00:00.000Z");
const MIN = 60_000;
const MAX_AGE = 10 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const TOKYO = { lat: 35.6812, lng: 139.7671 };
const YOKOHAMA = { lat: 35.4437, lng: 139.638 };
const OSAKA = { lat: 34.7025, lng: 135.4959 };
const NAGOYA = { lat: 35.1709, lng: 136.8815 };

// Great-circle distances from Tokyo, to 0.1 km, as the reasons print them.
const KM_YOKOHAMA = 28.9;
const KM_NAGOYA = 267.5;
const KM_OSAKA = 403.1;

const { PICKUP, DELIVERY } = FulfilmentMethod;
const { STANDARD, EXPRESS } = FulfilmentSpeed;

/** An idle, online, enabled lab at shop SP01 offering SV01 and SV02 for both flows, no location. */
function lab(id: string, fields: Partial<LabInfo> = {}): LabInfo {
  return {
    id,
    name: `Lab ${id}`,
    shopId: "SP01",
    serviceIds: ["SV01", "SV02"],
    fulfilment: [PICKUP, DELIVERY],
    express: false,
    disabled: false,
    location: null,
    postalCode: null,
    region: null,
    utilisation: 0,
    loadReportedAt: ago(2 * MIN),
    reportedQueuedSheets: null,
    online: true,
    capacitySheetsPerHour: 100,
    queuedSheets: 0,
    lastAssignedAt: null,
    designTemplateIds: [],
    maxOrderSheets: null,
    ...fields,
  };
}

/** An SV01 order of 10 sheets with no shop, no lab and no flow, unless told otherwise. */
function req(fields: Partial<AssignmentRequest> = {}): AssignmentRequest {
  return { serviceIds: ["SV01"], sheets: 10, shopId: null, labId: null, fulfilment: null, ...fields };
}

type Address = NonNullable<NonNullable<AssignmentRequest["fulfilment"]>["address"]>;

const TOKYO_ADDRESS: Address = { country: "JP", postalCode: "100-0005", region: "Tokyo", location: TOKYO };

function delivery(address: Address | null = TOKYO_ADDRESS, speed = STANDARD): AssignmentRequest["fulfilment"] {
  return { method: DELIVERY, speed, address };
}

function pickup(speed = STANDARD): AssignmentRequest["fulfilment"] {
  return { method: PICKUP, speed, address: null };
}

function rank(labs: LabInfo[], request: AssignmentRequest, weights?: RankingWeights): AssignmentDecision {
  return rankLabs(labs, request, { now: NOW, loadMaxAgeMs: MAX_AGE, weights });
}

function ok(decision: AssignmentDecision): Extract<AssignmentDecision, { ok: true }> {
  if (!decision.ok) throw new Error(`unexpected failure: ${JSON.stringify(decision)}`);
  return decision;
}

const order = (decision: AssignmentDecision) => ok(decision).candidates.map((c) => c.labId);

/** The load reason of an idle lab of the builder's (100 sheets/h, reported 2 min ago) for a 10-sheet order. */
const IDLE_10 = "about 6 min to print: 0 sheets ahead + 10 at 100 sheets/h (load 0.00 reported 2 min ago)";

// ---------------------------------------------------------------------------
// Distance
// ---------------------------------------------------------------------------

describe("greatCircleKm", () => {
  const cases: Array<[string, { lat: number; lng: number }, { lat: number; lng: number }, number]> = [
    ["Tokyo -> Osaka", TOKYO, OSAKA, 403],
    ["Osaka -> Tokyo (symmetric)", OSAKA, TOKYO, 403],
    ["Tokyo -> Yokohama", TOKYO, YOKOHAMA, 29],
    ["Tokyo -> Nagoya", TOKYO, NAGOYA, 267],
    ["Nagoya -> Osaka", NAGOYA, OSAKA, 137],
    ["same point", TOKYO, TOKYO, 0],
  ];
  test.each(cases)("%s is about %d km (within 1 km)", (_name, a, b, km) => {
    expect(Math.abs(greatCircleKm(a, b) - km)).toBeLessThanOrEqual(1);
  });

  test("uses the mean Earth radius 6371.0088 km: equator to pole is a quarter circle", () => {
    expect(greatCircleKm({ lat: 0, lng: 0 }, { lat: 90, lng: 0 })).toBeCloseTo((Math.PI / 2) * 6371.0088, 6);
  });

  test("antipodal points give half the circumference, not NaN", () => {
    expect(greatCircleKm({ lat: 0, lng: 0 }, { lat: 0, lng: 180 })).toBeCloseTo(Math.PI * 6371.0088, 6);
  });
});

// ---------------------------------------------------------------------------
// Failures, and which rule wins
// ---------------------------------------------------------------------------

describe("rankLabs failures", () => {
  const cases: Array<{
    name: string;
    labs: LabInfo[];
    request: AssignmentRequest;
    expected: { code: string; message: string; field: string[]; rejected: Rejected[] };
  }> = [
    {
      name: "PICKUP without a shop",
      labs: [lab("L01")],
      request: req({ fulfilment: pickup() }),
      expected: {
        code: "PICKUP_NEEDS_SHOP",
        message: "A pickup order needs the shop the prints are collected from",
        field: ["input", "shopId"],
        rejected: [],
      },
    },
    {
      name: "PICKUP without a shop is not rescued by a named lab",
      labs: [lab("L01")],
      request: req({ fulfilment: pickup(), labId: "L01" }),
      expected: {
        code: "PICKUP_NEEDS_SHOP",
        message: "A pickup order needs the shop the prints are collected from",
        field: ["input", "shopId"],
        rejected: [],
      },
    },
    {
      name: "DELIVERY without an address",
      labs: [lab("L01")],
      request: req({ fulfilment: delivery(null) }),
      expected: {
        code: "DELIVERY_NEEDS_ADDRESS",
        message: "A delivery order needs the address to deliver to",
        field: ["input", "fulfilment", "address"],
        rejected: [],
      },
    },
    {
      name: "the flow is checked before the named lab",
      labs: [lab("L01")],
      request: req({ fulfilment: delivery(null), labId: "L99" }),
      expected: {
        code: "DELIVERY_NEEDS_ADDRESS",
        message: "A delivery order needs the address to deliver to",
        field: ["input", "fulfilment", "address"],
        rejected: [],
      },
    },
    {
      name: "a named lab that does not exist",
      labs: [lab("L01")],
      request: req({ labId: "L99" }),
      expected: { code: "UNKNOWN_LAB", message: "There is no lab L99", field: ["input", "labId"], rejected: [] },
    },
    {
      name: "a named lab lacking a service, while another lab could print",
      labs: [lab("L01", { serviceIds: ["SV01"] }), lab("L02", { serviceIds: ["SV01", "SV03"] })],
      request: req({ serviceIds: ["SV01", "SV03"], labId: "L01" }),
      expected: {
        code: "LAB_CANNOT_PRINT",
        message: "Lab L01 cannot print this order: does not offer service SV03",
        field: ["input", "labId"],
        rejected: [{ labId: "L01", reasons: ["does not offer service SV03"] }],
      },
    },
    {
      name: "a named lab that is disabled",
      labs: [lab("L01", { disabled: true }), lab("L02")],
      request: req({ labId: "L01" }),
      expected: {
        code: "LAB_CANNOT_PRINT",
        message: "Lab L01 cannot print this order: disabled",
        field: ["input", "labId"],
        rejected: [{ labId: "L01", reasons: ["disabled"] }],
      },
    },
    {
      name: "a named lab outside the named shop",
      labs: [lab("L01", { shopId: "SP02" }), lab("L02")],
      request: req({ shopId: "SP01", labId: "L01", fulfilment: delivery() }),
      expected: {
        code: "LAB_CANNOT_PRINT",
        message: "Lab L01 cannot print this order: not at shop SP01",
        field: ["input", "labId"],
        rejected: [{ labId: "L01", reasons: ["not at shop SP01"] }],
      },
    },
    {
      name: "a named lab failing several rules lists every reason",
      labs: [lab("L01", { fulfilment: [PICKUP], serviceIds: ["SV02"] })],
      request: req({ serviceIds: ["SV01", "SV03"], labId: "L01", fulfilment: delivery(TOKYO_ADDRESS, EXPRESS) }),
      expected: {
        code: "LAB_CANNOT_PRINT",
        message: "Lab L01 cannot print this order: does not do DELIVERY; no EXPRESS; does not offer service SV01; does not offer service SV03",
        field: ["input", "labId"],
        rejected: [
          {
            labId: "L01",
            reasons: ["does not do DELIVERY", "no EXPRESS", "does not offer service SV01", "does not offer service SV03"],
          },
        ],
      },
    },
    {
      name: "no capable lab: every lab's reasons, sorted by lab id",
      labs: [
        lab("L03", { serviceIds: ["SV02"] }),
        lab("L01", { disabled: true }),
        lab("L04", { shopId: "SP02", express: true }),
        lab("L02", { fulfilment: [PICKUP], express: true }),
      ],
      request: req({ shopId: "SP01", fulfilment: delivery(TOKYO_ADDRESS, EXPRESS) }),
      expected: {
        code: "NO_CAPABLE_LAB",
        message: "No lab can print this order (4 considered)",
        field: ["input"],
        rejected: [
          { labId: "L01", reasons: ["disabled", "no EXPRESS"] },
          { labId: "L02", reasons: ["does not do DELIVERY"] },
          { labId: "L03", reasons: ["no EXPRESS", "does not offer service SV01"] },
          { labId: "L04", reasons: ["not at shop SP01"] },
        ],
      },
    },
    {
      name: "a shop with no labs",
      labs: [lab("L01"), lab("L02", { shopId: "SP02" })],
      request: req({ shopId: "SP09" }),
      expected: {
        code: "NO_CAPABLE_LAB",
        message: "No lab can print this order (2 considered)",
        field: ["input"],
        rejected: [
          { labId: "L01", reasons: ["not at shop SP09"] },
          { labId: "L02", reasons: ["not at shop SP09"] },
        ],
      },
    },
    {
      name: "no labs at all",
      labs: [],
      request: req(),
      expected: { code: "NO_CAPABLE_LAB", message: "No lab can print this order (0 considered)", field: ["input"], rejected: [] },
    },
  ];

  test.each(cases)("$name", ({ labs, request, expected }) => {
    expect(rank(labs, request)).toEqual({ ok: false, ...expected });
  });
});

// ---------------------------------------------------------------------------
// Filters: who is a candidate and who is rejected, each rule alone
// ---------------------------------------------------------------------------

describe("rankLabs filters", () => {
  const cases: Array<{
    name: string;
    labs: LabInfo[];
    request: AssignmentRequest;
    candidates: string[];
    rejected: Rejected[];
  }> = [
    {
      name: "content: a lab must offer every service of the order",
      labs: [lab("L01", { serviceIds: ["SV01"] }), lab("L02"), lab("L03", { serviceIds: ["SV02", "SV01", "SV09"] })],
      request: req({ serviceIds: ["SV01", "SV02", "SV01"] }),
      candidates: ["L02", "L03"],
      rejected: [{ labId: "L01", reasons: ["does not offer service SV02"] }],
    },
    {
      name: "content: a lab must hold every design template the order names",
      labs: [lab("L01", { designTemplateIds: ["DT1"] }), lab("L02", { designTemplateIds: ["DT2", "DT1"] }), lab("L03")],
      request: req({ designTemplateIds: ["DT1", "DT2", "DT1"] }),
      candidates: ["L02"],
      rejected: [
        { labId: "L01", reasons: ["does not hold design template DT2"] },
        { labId: "L03", reasons: ["does not hold design template DT1", "does not hold design template DT2"] },
      ],
    },
    {
      name: "content: an order naming no design template needs none",
      labs: [lab("L01"), lab("L02", { designTemplateIds: ["DT1"] })],
      request: req({ designTemplateIds: [] }),
      candidates: ["L01", "L02"],
      rejected: [],
    },
    {
      name: "content: a lab's largest order, inclusive",
      labs: [lab("L01", { maxOrderSheets: 9 }), lab("L02", { maxOrderSheets: 10 }), lab("L03", { maxOrderSheets: null })],
      request: req({ sheets: 10 }),
      candidates: ["L02", "L03"],
      rejected: [{ labId: "L01", reasons: ["takes orders of at most 9 sheets (this one has 10)"] }],
    },
    {
      name: "content: every failing content rule is listed",
      labs: [lab("L01", { serviceIds: ["SV02"], maxOrderSheets: 5 }), lab("L02", { designTemplateIds: ["DT1"] })],
      request: req({ designTemplateIds: ["DT1"] }),
      candidates: ["L02"],
      rejected: [
        {
          labId: "L01",
          reasons: ["does not offer service SV01", "does not hold design template DT1", "takes orders of at most 5 sheets (this one has 10)"],
        },
      ],
    },
    {
      name: "disabled labs are rejected",
      labs: [lab("L01", { disabled: true }), lab("L02")],
      request: req(),
      candidates: ["L02"],
      rejected: [{ labId: "L01", reasons: ["disabled"] }],
    },
    {
      name: "EXPRESS only at express-capable labs",
      labs: [lab("L01"), lab("L02", { express: true })],
      request: req({ fulfilment: delivery(TOKYO_ADDRESS, EXPRESS) }),
      candidates: ["L02"],
      rejected: [{ labId: "L01", reasons: ["no EXPRESS"] }],
    },
    {
      name: "STANDARD speed takes express labs too",
      labs: [lab("L01"), lab("L02", { express: true })],
      request: req({ fulfilment: delivery(TOKYO_ADDRESS, STANDARD) }),
      candidates: ["L01", "L02"],
      rejected: [],
    },
    {
      name: "DELIVERY may print at any shop, only at labs that deliver",
      labs: [lab("L01", { fulfilment: [PICKUP] }), lab("L02", { shopId: "SP02" }), lab("L03", { shopId: "SP03", fulfilment: [DELIVERY] })],
      request: req({ fulfilment: delivery() }),
      candidates: ["L02", "L03"],
      rejected: [{ labId: "L01", reasons: ["does not do DELIVERY"] }],
    },
    {
      name: "PICKUP prints at the shop's labs that do pickup",
      labs: [lab("L01", { fulfilment: [DELIVERY] }), lab("L02"), lab("L03", { shopId: "SP02" })],
      request: req({ shopId: "SP01", fulfilment: pickup() }),
      candidates: ["L02"],
      rejected: [
        { labId: "L01", reasons: ["does not do PICKUP"] },
        { labId: "L03", reasons: ["not at shop SP01"] },
      ],
    },
    {
      name: "PICKUP EXPRESS needs an express lab at the shop",
      labs: [lab("L01"), lab("L02", { express: true }), lab("L03", { shopId: "SP02", express: true })],
      request: req({ shopId: "SP01", fulfilment: pickup(EXPRESS) }),
      candidates: ["L02"],
      rejected: [
        { labId: "L01", reasons: ["no EXPRESS"] },
        { labId: "L03", reasons: ["not at shop SP01"] },
      ],
    },
    {
      name: "a named shop restricts DELIVERY to its labs too",
      labs: [lab("L01", { location: OSAKA }), lab("L02", { shopId: "SP02", location: YOKOHAMA })],
      request: req({ shopId: "SP01", fulfilment: delivery() }),
      candidates: ["L01"],
      rejected: [{ labId: "L02", reasons: ["not at shop SP01"] }],
    },
    {
      name: "no flow but a shop: treated as PICKUP there",
      labs: [lab("L01", { fulfilment: [DELIVERY] }), lab("L02", { fulfilment: [PICKUP] }), lab("L03", { shopId: "SP02" })],
      request: req({ shopId: "SP01" }),
      candidates: ["L02"],
      rejected: [
        { labId: "L01", reasons: ["does not do PICKUP"] },
        { labId: "L03", reasons: ["not at shop SP01"] },
      ],
    },
    {
      name: "no flow and no shop: any flow, any shop, no express needed",
      labs: [lab("L01", { fulfilment: [DELIVERY] }), lab("L02", { fulfilment: [PICKUP], shopId: "SP02" }), lab("L03", { fulfilment: [] })],
      request: req(),
      candidates: ["L01", "L02", "L03"],
      rejected: [],
    },
  ];

  test.each(cases)("$name", ({ labs, request, candidates, rejected }) => {
    const decision = ok(rank(labs, request));
    expect(decision.candidates.map((c) => c.labId)).toEqual(candidates);
    expect(decision.rejected).toEqual(rejected);
    expect(decision.rule).toBe("RANKED");
    expect(decision.chosen).toBe(decision.candidates[0]);
  });
});

// ---------------------------------------------------------------------------
// Named lab
// ---------------------------------------------------------------------------

describe("rankLabs with a named lab", () => {
  const cases: Array<{ name: string; labs: LabInfo[]; request: AssignmentRequest; chosenReasons: string[]; candidates: string[] }> = [
    {
      name: "beats a better-ranked lab",
      labs: [lab("L01", { location: YOKOHAMA }), lab("L02", { location: OSAKA, utilisation: 0.5 })],
      request: req({ labId: "L02", fulfilment: delivery() }),
      chosenReasons: [
        "named by the customer",
        `${KM_OSAKA} km from the delivery address`,
        "about 36 min to print: 50 sheets ahead + 10 at 100 sheets/h (load 0.50 reported 2 min ago)",
      ],
      candidates: ["L01", "L02"],
    },
    {
      name: "is used even when offline",
      labs: [lab("L01"), lab("L02", { online: false })],
      request: req({ labId: "L02" }),
      chosenReasons: ["named by the customer", IDLE_10, "offline: ranks last"],
      candidates: ["L01", "L02"],
    },
    {
      name: "inside a named shop",
      labs: [lab("L01"), lab("L02"), lab("L03", { shopId: "SP02" })],
      request: req({ shopId: "SP01", labId: "L02" }),
      chosenReasons: ["named by the customer", "at shop SP01 named by the customer", IDLE_10],
      candidates: ["L01", "L02"],
    },
  ];

  test.each(cases)("$name", ({ labs, request, chosenReasons, candidates }) => {
    const decision = ok(rank(labs, request));
    expect(decision.rule).toBe("NAMED_LAB");
    expect(decision.chosen.labId).toBe(request.labId);
    expect(decision.chosen.reasons).toEqual(chosenReasons);
    // The others are still ranked, for the record.
    expect(decision.candidates.map((c) => c.labId)).toEqual(candidates);
    expect(decision.candidates).toContain(decision.chosen);
  });
});

// ---------------------------------------------------------------------------
// Ranking
// ---------------------------------------------------------------------------

describe("rankLabs ranking", () => {
  const cases: Array<{ name: string; labs: LabInfo[]; request: AssignmentRequest; weights?: RankingWeights; expected: string[] }> = [
    {
      name: "distance: nearest first (Yokohama, Nagoya, Osaka from Tokyo)",
      labs: [lab("OSA", { location: OSAKA }), lab("YOK", { location: YOKOHAMA }), lab("NGO", { location: NAGOYA })],
      request: req({ fulfilment: delivery() }),
      expected: ["YOK", "NGO", "OSA"],
    },
    {
      name: "load breaks the tie between equally distant labs",
      labs: [lab("L01", { location: YOKOHAMA, utilisation: 0.7 }), lab("L02", { location: YOKOHAMA, utilisation: 0.2 })],
      request: req({ fulfilment: delivery() }),
      expected: ["L02", "L01"],
    },
    {
      name: "load alone orders labs when there is no address",
      labs: [lab("L01", { utilisation: 0.9 }), lab("L02", { utilisation: 0.3 }), lab("L03", { utilisation: 0.6 })],
      request: req(),
      expected: ["L02", "L03", "L01"],
    },
    {
      name: "a stale report gives way to the center's queue (0.1 stale, 50 queued: 60 > 0.3 fresh: 40)",
      labs: [lab("L01", { utilisation: 0.1, loadReportedAt: ago(MAX_AGE + 1), queuedSheets: 50 }), lab("L02", { utilisation: 0.3 })],
      request: req(),
      expected: ["L02", "L01"],
    },
    {
      name: "a report exactly loadMaxAgeMs old is still fresh",
      labs: [lab("L01", { utilisation: 0.1, loadReportedAt: ago(MAX_AGE) }), lab("L02", { utilisation: 0.3 })],
      request: req(),
      expected: ["L01", "L02"],
    },
    {
      name: "never reported: the center's queue (45 queued: 55), between 0.4 (50) and 0.6 (70)",
      labs: [lab("L01", { utilisation: 0.6 }), lab("L02", { utilisation: null, loadReportedAt: null, queuedSheets: 45 }), lab("L03", { utilisation: 0.4 })],
      request: req(),
      expected: ["L03", "L02", "L01"],
    },
    {
      name: "a fresh report older than the latest job gives way to the queue (80 queued: 90 > 0.5: 60)",
      labs: [lab("L01", { utilisation: 0, lastAssignedAt: ago(MIN), queuedSheets: 80 }), lab("L02", { utilisation: 0.5 })],
      request: req(),
      expected: ["L02", "L01"],
    },
    {
      name: "a fresh report newer than the latest job wins over the queue (0: 10 < 0.5: 60)",
      labs: [lab("L01", { utilisation: 0, lastAssignedAt: ago(3 * MIN), queuedSheets: 80 }), lab("L02", { utilisation: 0.5 })],
      request: req(),
      expected: ["L01", "L02"],
    },
    {
      name: "a report made the same millisecond as the latest job wins",
      labs: [lab("L01", { utilisation: 0, lastAssignedAt: ago(2 * MIN), queuedSheets: 80 }), lab("L02", { utilisation: 0.5 })],
      request: req(),
      expected: ["L01", "L02"],
    },
    {
      name: "the report's queued sheets win over its utilisation (0 sheets: 10 < 50 sheets: 60)",
      labs: [lab("L01", { utilisation: 0.9, reportedQueuedSheets: 0 }), lab("L02", { utilisation: 0.1, reportedQueuedSheets: 50 })],
      request: req(),
      expected: ["L01", "L02"],
    },
    {
      name: "capacity: a longer queue at a faster lab is shorter in time (210 / 400 h < 110 / 100 h)",
      labs: [
        lab("L01", { utilisation: null, loadReportedAt: null, queuedSheets: 100 }),
        lab("L02", { utilisation: null, loadReportedAt: null, queuedSheets: 200, capacitySheetsPerHour: 400 }),
      ],
      request: req(),
      expected: ["L02", "L01"],
    },
    {
      name: "the order's own sheets count at each lab's capacity (1,000 sheets: 10 h idle at 100/h > 1.9 h behind 900 at 1,000/h)",
      labs: [lab("L01"), lab("L02", { capacitySheetsPerHour: 1000, reportedQueuedSheets: 900 })],
      request: req({ sheets: 1000 }),
      expected: ["L02", "L01"],
    },
    {
      name: "offline ranks last even when nearer and idle",
      labs: [lab("YOK", { location: YOKOHAMA, online: false }), lab("OSA", { location: OSAKA, utilisation: 1 })],
      request: req({ fulfilment: delivery() }),
      expected: ["OSA", "YOK"],
    },
    {
      name: "offline ranks last even when its weight is zero",
      labs: [lab("YOK", { location: YOKOHAMA, online: false }), lab("OSA", { location: OSAKA })],
      request: req({ fulfilment: delivery() }),
      weights: { ...DEFAULT_WEIGHTS, offline: 0 },
      expected: ["OSA", "YOK"],
    },
    {
      name: "offline labs are ranked among themselves by score",
      labs: [lab("OSA", { location: OSAKA, online: false }), lab("YOK", { location: YOKOHAMA, online: false }), lab("NGO", { location: NAGOYA })],
      request: req({ fulfilment: delivery() }),
      expected: ["NGO", "YOK", "OSA"],
    },
    {
      name: "no coordinates: same postal code, then postal area, then region, then nothing",
      labs: [
        lab("NONE", { postalCode: "530-0001", region: "Osaka" }),
        lab("REGION", { postalCode: "150-0001", region: "tokyo " }),
        lab("AREA", { postalCode: "100-0001" }),
        lab("SAME", { postalCode: "1000005" }),
        lab("UNKNOWN"),
      ],
      request: req({ fulfilment: delivery({ country: "JP", postalCode: "100-0005", region: "Tokyo", location: null }) }),
      expected: ["SAME", "AREA", "REGION", "NONE", "UNKNOWN"],
    },
    {
      name: "a lab without coordinates falls back to postal code when the address has them",
      labs: [lab("YOK", { location: YOKOHAMA }), lab("POSTAL", { postalCode: "100-0005" }), lab("UNKNOWN")],
      request: req({ fulfilment: delivery() }),
      expected: ["POSTAL", "YOK", "UNKNOWN"],
    },
    {
      name: "PICKUP ignores the address: only load counts",
      labs: [lab("YOK", { location: YOKOHAMA, utilisation: 0.5 }), lab("OSA", { location: OSAKA, utilisation: 0.1 })],
      request: req({ shopId: "SP01", fulfilment: { method: PICKUP, speed: STANDARD, address: TOKYO_ADDRESS } }),
      expected: ["OSA", "YOK"],
    },
    {
      name: "default weights: a busy lab nearby beats an idle one far away (28.9 + 90 < 267.5)",
      labs: [lab("YOK", { location: YOKOHAMA, utilisation: 0.9 }), lab("NGO", { location: NAGOYA, utilisation: 0 })],
      request: req({ fulfilment: delivery() }),
      expected: ["YOK", "NGO"],
    },
    {
      name: "heavier load weight: the idle far lab wins (28.9 + 900 > 267.5)",
      labs: [lab("YOK", { location: YOKOHAMA, utilisation: 0.9 }), lab("NGO", { location: NAGOYA, utilisation: 0 })],
      request: req({ fulfilment: delivery() }),
      weights: { ...DEFAULT_WEIGHTS, load: 1000 },
      expected: ["NGO", "YOK"],
    },
    {
      name: "distance weight zero: the least loaded wins wherever it is",
      labs: [lab("YOK", { location: YOKOHAMA, utilisation: 0.2 }), lab("OSA", { location: OSAKA, utilisation: 0.1 })],
      request: req({ fulfilment: delivery() }),
      weights: { ...DEFAULT_WEIGHTS, distancePerKm: 0 },
      expected: ["OSA", "YOK"],
    },
    {
      name: "region weight above postal: region beats postal area",
      labs: [lab("AREA", { postalCode: "100-0001" }), lab("REGION", { region: "Tokyo" })],
      request: req({ fulfilment: delivery({ country: "JP", postalCode: "100-0005", region: "Tokyo" }) }),
      weights: { ...DEFAULT_WEIGHTS, regionMatch: 15 },
      expected: ["REGION", "AREA"],
    },
    {
      name: "equal scores are broken by lab id",
      labs: [lab("L03"), lab("L01"), lab("L10"), lab("L02")],
      request: req(),
      expected: ["L01", "L02", "L03", "L10"],
    },
  ];

  test.each(cases)("$name", ({ labs, request, weights, expected }) => {
    expect(order(rank(labs, request, weights))).toEqual(expected);
  });

  test("the tie-break does not depend on the order labs are given in", () => {
    const labs = [lab("B"), lab("C"), lab("A", { location: YOKOHAMA }), lab("D", { location: YOKOHAMA })];
    const forward = rank(labs, req({ fulfilment: delivery() }));
    const backward = rank([...labs].reverse(), req({ fulfilment: delivery() }));
    expect(order(forward)).toEqual(["A", "D", "B", "C"]);
    expect(backward).toEqual(forward);
  });
});

// ---------------------------------------------------------------------------
// Load as the center knows it: a burst of orders
// ---------------------------------------------------------------------------

describe("a burst of orders", () => {
  // 0.7 km and 28.9 km from the address; neither lab has reported, so the center's queue counts.
  const NEAR = { lat: 35.6812, lng: 139.7748 };
  const near = () => lab("NEAR", { location: NEAR, capacitySheetsPerHour: 1200, utilisation: null, loadReportedAt: null });
  const far = () => lab("FAR", { location: YOKOHAMA, capacitySheetsPerHour: 600, utilisation: null, loadReportedAt: null });

  /** Ranks `n` orders one after the other, each queued at the lab chosen for it (as the center counts them). */
  function burst(labs: LabInfo[], n: number, sheets: number): string[] {
    const chosen: string[] = [];
    for (let i = 0; i < n; i++) {
      const decision = ok(rank(labs, req({ sheets, fulfilment: delivery() })));
      chosen.push(decision.chosen.labId);
      const at = labs.findIndex((l) => l.id === decision.chosen.labId);
      labs[at] = { ...labs[at], queuedSheets: labs[at].queuedSheets + sheets, lastAssignedAt: NOW };
    }
    return chosen;
  }

  test("six 500-sheet orders spread 4:2 over a 1,200/h lab nearby and a 600/h lab 28.9 km away", () => {
    // NEAR: 0.7 + (k x 500 + 500) / 1200 x 100; FAR: 28.9 + (k x 500 + 500) / 600 x 100.
    expect(burst([near(), far()], 6, 500)).toEqual(["NEAR", "NEAR", "FAR", "NEAR", "NEAR", "FAR"]);
  });

  test("the same burst without the center's queue would all go to the nearer lab", () => {
    // What the ranking did when it scored only the last report: every order to NEAR.
    const labs = [near(), far()];
    const chosen = Array.from({ length: 6 }, () => ok(rank(labs, req({ sheets: 500, fulfilment: delivery() }))).chosen.labId);
    expect(chosen).toEqual(["NEAR", "NEAR", "NEAR", "NEAR", "NEAR", "NEAR"]);
  });

  test("at equal distance the orders split in proportion to capacity (2:1)", () => {
    const labs = [
      lab("BIG", { capacitySheetsPerHour: 1200, utilisation: null, loadReportedAt: null }),
      lab("SMALL", { capacitySheetsPerHour: 600, utilisation: null, loadReportedAt: null }),
    ];
    const chosen = burst(labs, 9, 100);
    expect(chosen.filter((id) => id === "BIG")).toHaveLength(6);
    // Every third order ties (the same hours to print at both) and goes to BIG by lab id.
    expect(chosen).toEqual(["BIG", "BIG", "SMALL", "BIG", "BIG", "SMALL", "BIG", "BIG", "SMALL"]);
  });

  test("the estimate is shown on each candidate", () => {
    const labs = [near(), far()];
    labs[0] = { ...labs[0], queuedSheets: 1000, lastAssignedAt: NOW };
    const [first, second] = ok(rank(labs, req({ sheets: 500, fulfilment: delivery() }))).candidates;
    expect([first.labId, first.sheetsAhead, first.hoursToPrint, first.loadSource, first.load]).toEqual(["FAR", 0, 500 / 600, "QUEUE", null]);
    expect([second.labId, second.sheetsAhead, second.hoursToPrint, second.loadSource]).toEqual(["NEAR", 1000, 1500 / 1200, "QUEUE"]);
    expect(second.reasons[1]).toBe("about 1 h 15 min to print: 1000 sheets ahead + 500 at 1200 sheets/h (the center's queue: never reported)");
  });
});

// ---------------------------------------------------------------------------
// Home lab
// ---------------------------------------------------------------------------

describe("rankLabs with a home lab", () => {
  test("a capable home lab is chosen over a better-ranked lab (rule HOME_LAB)", () => {
    const decision = ok(rank([lab("L01", { location: YOKOHAMA }), lab("L02", { location: OSAKA })], req({ homeLabId: "L02", fulfilment: delivery() })));
    expect([decision.rule, decision.chosen.labId]).toEqual(["HOME_LAB", "L02"]);
    expect(decision.chosen.reasons[0]).toBe("the customer's home lab");
    expect(order(decision)).toEqual(["L01", "L02"]);
  });

  test("a home lab that cannot print the order is passed over, and the chosen lab says why", () => {
    const decision = ok(rank([lab("L01"), lab("L02", { serviceIds: ["SV02"], maxOrderSheets: 5 })], req({ homeLabId: "L02" })));
    expect([decision.rule, decision.chosen.labId]).toEqual(["RANKED", "L01"]);
    expect(decision.chosen.reasons).toEqual([
      "the customer's home lab L02 cannot print this order: does not offer service SV01; takes orders of at most 5 sheets (this one has 10)",
      IDLE_10,
    ]);
  });

  test("an unknown home lab is passed over", () => {
    const decision = ok(rank([lab("L01")], req({ homeLabId: "L09" })));
    expect([decision.rule, decision.chosen.labId, decision.chosen.reasons[0]]).toEqual(["RANKED", "L01", "the customer's home lab L09 is not a lab any more"]);
  });

  test("a named lab wins over the home lab", () => {
    const decision = ok(rank([lab("L01"), lab("L02")], req({ labId: "L01", homeLabId: "L02" })));
    expect([decision.rule, decision.chosen.labId]).toEqual(["NAMED_LAB", "L01"]);
  });

  test("the home lab's shop is given as a reason", () => {
    const decision = ok(rank([lab("L01"), lab("L02", { shopId: "SP02" })], req({ shopId: "SP02", shopReason: "HOME_LAB", homeLabId: "L02" })));
    expect(decision.chosen.reasons).toEqual(["the customer's home lab", "at shop SP02 of the customer's home lab", IDLE_10]);
  });
});

// ---------------------------------------------------------------------------
// The record stored with the order
// ---------------------------------------------------------------------------

describe("the decision record", () => {
  test("every candidate with score, distance, load and reasons, best first", () => {
    const labs = [
      lab("OSA", { location: OSAKA, utilisation: 0.1, loadReportedAt: ago(25 * MIN) }),
      lab("YOK", { location: YOKOHAMA, utilisation: 0.4, loadReportedAt: ago(2 * MIN + 30_000) }),
      lab("NGO", { location: NAGOYA, online: false, loadReportedAt: ago(45_000) }),
      lab("POST", { postalCode: "100-0005", utilisation: null, loadReportedAt: null }),
      lab("PUO", { fulfilment: [PICKUP] }),
    ];
    const decision = ok(rank(labs, req({ fulfilment: delivery() })));

    // Each lab prints 100 sheets an hour; the order has 10 (6 min of printing, 10 points at load 100).
    const expected: Candidate[] = [
      {
        labId: "POST",
        shopId: "SP01",
        score: -20 + 10,
        distanceKm: null,
        load: null,
        hoursToPrint: 0.1,
        sheetsAhead: 0,
        loadSource: "QUEUE",
        reasons: ["same postal code as the address", "about 6 min to print: 0 sheets ahead + 10 at 100 sheets/h (the center's queue: never reported)"],
      },
      {
        labId: "YOK",
        shopId: "SP01",
        score: greatCircleKm(YOKOHAMA, TOKYO) + 50,
        distanceKm: greatCircleKm(YOKOHAMA, TOKYO),
        load: 0.4,
        hoursToPrint: 0.5,
        sheetsAhead: 40,
        loadSource: "REPORT",
        reasons: [`${KM_YOKOHAMA} km from the delivery address`, "about 30 min to print: 40 sheets ahead + 10 at 100 sheets/h (load 0.40 reported 2 min ago)"],
      },
      {
        labId: "OSA",
        shopId: "SP01",
        score: greatCircleKm(OSAKA, TOKYO) + 10,
        distanceKm: greatCircleKm(OSAKA, TOKYO),
        load: null,
        hoursToPrint: 0.1,
        sheetsAhead: 0,
        loadSource: "QUEUE",
        reasons: [
          `${KM_OSAKA} km from the delivery address`,
          "about 6 min to print: 0 sheets ahead + 10 at 100 sheets/h (the center's queue: last report older than 10 min)",
        ],
      },
      {
        labId: "NGO",
        shopId: "SP01",
        score: greatCircleKm(NAGOYA, TOKYO) + 10 + 10_000,
        distanceKm: greatCircleKm(NAGOYA, TOKYO),
        load: 0,
        hoursToPrint: 0.1,
        sheetsAhead: 0,
        loadSource: "REPORT",
        reasons: [
          `${KM_NAGOYA} km from the delivery address`,
          "about 6 min to print: 0 sheets ahead + 10 at 100 sheets/h (load 0.00 reported 45 s ago)",
          "offline: ranks last",
        ],
      },
    ];
    expect(decision).toEqual({
      ok: true,
      chosen: expected[0],
      candidates: expected,
      rejected: [{ labId: "PUO", reasons: ["does not do DELIVERY"] }],
      rule: "RANKED",
      at: "2026-04-01T09:00:00.000Z",
    });
  });

  test.each([
    ["a named shop", "NAMED" as const, "at shop SP01 named by the customer"],
    ["the default shop reason", undefined, "at shop SP01 named by the customer"],
    ["the home shop", "HOME_SHOP" as const, "at the customer's home shop SP01"],
  ])("%s is given as a reason", (_name, shopReason, reason) => {
    const decision = ok(rank([lab("L01"), lab("L02", { shopId: "SP02" })], req({ shopId: "SP01", shopReason })));
    expect(decision.chosen.reasons).toEqual([reason, IDLE_10]);
    expect(decision.rejected).toEqual([{ labId: "L02", reasons: ["not at shop SP01"] }]);
  });

  test.each([
    ["a lab with nothing known", lab("L01"), "location unknown: no coordinates, postal code or region"],
    [
      "a lab whose postal code and region differ",
      lab("L01", { postalCode: "530-0001", region: "Osaka" }),
      "distance unknown and neither postal code nor region matches the address",
    ],
    ["a lab in the same postal area", lab("L01", { postalCode: "100 0001" }), "same postal area as the address (postal code starts 100)"],
    ["a lab in the same region", lab("L01", { region: "TOKYO" }), "same region as the address (TOKYO)"],
  ])("no distance: %s", (_name, theLab, reason) => {
    const address = { country: "JP", postalCode: "100-0005", region: "Tokyo", location: null };
    const decision = ok(rank([theLab], req({ fulfilment: delivery(address) })));
    expect(decision.chosen.reasons[0]).toBe(reason);
    expect(decision.chosen.distanceKm).toBeNull();
  });

  test("scores of the fallbacks follow the weights exactly", () => {
    const weights: RankingWeights = { distancePerKm: 1, load: 0, unknownLoad: 0, offline: 0, postalMatch: 8, regionMatch: 3, noLocation: 7 };
    const address = { country: "JP", postalCode: "100-0005", region: "Tokyo", location: null };
    const labs = [lab("SAME", { postalCode: "100-0005" }), lab("AREA", { postalCode: "100-0001" }), lab("REGION", { region: "Tokyo" }), lab("NONE")];
    const scores = ok(rank(labs, req({ fulfilment: delivery(address) }), weights)).candidates.map((c) => [c.labId, c.score]);
    expect(scores).toEqual([
      ["SAME", -8],
      ["AREA", -4],
      ["REGION", -3],
      ["NONE", 7],
    ]);
  });

  test("a report stamped in the future (clock skew) counts as just made", () => {
    const decision = ok(rank([lab("L01", { utilisation: 0.25, loadReportedAt: new Date(NOW.getTime() + 5000) })], req()));
    expect(decision.chosen.load).toBe(0.25);
    expect(decision.chosen.reasons).toEqual(["about 21 min to print: 25 sheets ahead + 10 at 100 sheets/h (load 0.25 reported 0 s ago)"]);
  });

  test("long ages read in hours", () => {
    const decision = rankLabs([lab("L01", { loadReportedAt: ago(3 * 60 * MIN) })], req(), {
      now: NOW,
      loadMaxAgeMs: 90 * MIN,
    });
    expect(ok(decision).chosen.reasons).toEqual([
      "about 6 min to print: 0 sheets ahead + 10 at 100 sheets/h (the center's queue: last report older than 1 h 30 min)",
    ]);
  });

  test("the labs and the request are not changed", () => {
    const labs = [lab("L02"), lab("L01", { serviceIds: ["SV02"] })];
    const request = req({ labId: "L02" });
    const before = JSON.stringify([labs, request]);
    rank(labs, request);
    expect(JSON.stringify([labs, request])).toBe(before);
  });
});
