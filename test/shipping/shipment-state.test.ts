/** The shipment lifecycle's table and the rule that orders its updates by `at`, case by case. */
import { decideUpdate, mayMove, orderStatusAt, SHIPMENT_STATUSES, type ShipmentStatus } from "../../src/shipping/shipment-state";

/** Every move the table allows; every other pair of different statuses is not a move. */
const ALLOWED: Array<[ShipmentStatus, ShipmentStatus]> = [
  ["TO_PACK", "PACKED"],
  ["TO_PACK", "SHIPPED"],
  ["TO_PACK", "DELIVERED"],
  ["PACKED", "SHIPPED"],
  ["PACKED", "DELIVERED"],
  ["SHIPPED", "DELIVERED"],
  ["SHIPPED", "RETURNED"],
  ["DELIVERED", "RETURNED"],
];
const pairs = SHIPMENT_STATUSES.flatMap((a) => SHIPMENT_STATUSES.map((b) => [a, b] as [ShipmentStatus, ShipmentStatus]));
const allowed = (a: ShipmentStatus, b: ShipmentStatus) => ALLOWED.some(([x, y]) => x === a && y === b);

describe("mayMove", () => {
  it.each(ALLOWED)("%s -> %s", (from, to) => expect(mayMove(from, to)).toBe(true));
  const refused = pairs.filter(([a, b]) => !allowed(a, b));
  it("refuses the other 17 pairs", () => expect(refused).toHaveLength(17));
  it.each(refused)("%s -/-> %s", (from, to) => expect(mayMove(from, to)).toBe(false));
});

describe("decideUpdate", () => {
  const T = 1_000_000;
  // [current, update, at relative to the current statusAt, decision]
  const CASES: Array<[ShipmentStatus, ShipmentStatus, number, ReturnType<typeof decideUpdate>]> = [
    ["TO_PACK", "PACKED", 1, { kind: "MOVE", to: "PACKED" }],
    ["TO_PACK", "PACKED", 0, { kind: "MOVE", to: "PACKED" }],
    ["PACKED", "SHIPPED", 60_000, { kind: "MOVE", to: "SHIPPED" }],
    // SHIPPED arrived before PACKED: the shipment moves on, the late PACKED is ignored.
    ["TO_PACK", "SHIPPED", 5, { kind: "MOVE", to: "SHIPPED" }],
    ["SHIPPED", "PACKED", 10, { kind: "IGNORE", because: "PASSED" }],
    ["SHIPPED", "DELIVERED", 1, { kind: "MOVE", to: "DELIVERED" }],
    ["DELIVERED", "SHIPPED", 1, { kind: "IGNORE", because: "PASSED" }],
    ["DELIVERED", "RETURNED", 1, { kind: "MOVE", to: "RETURNED" }],
    ["SHIPPED", "RETURNED", 1, { kind: "MOVE", to: "RETURNED" }],
    ["RETURNED", "DELIVERED", 1, { kind: "IGNORE", because: "PASSED" }],
    ["SHIPPED", "SHIPPED", 1, { kind: "IGNORE", because: "REPEATED" }],
    // Older than the current status: ignored whatever it says, even a forward move.
    ["PACKED", "SHIPPED", -1, { kind: "IGNORE", because: "OLDER" }],
    ["TO_PACK", "RETURNED", -1, { kind: "IGNORE", because: "OLDER" }],
    // RETURNED before the parcel left is no late report: it is refused.
    ["TO_PACK", "RETURNED", 1, { kind: "REFUSE", code: "ILLEGAL_TRANSITION", message: expect.stringContaining("RETURNED only after SHIPPED or DELIVERED") }],
    ["PACKED", "RETURNED", 1, { kind: "REFUSE", code: "ILLEGAL_TRANSITION", message: expect.stringContaining("PACKED cannot become RETURNED") }],
  ];
  it.each(CASES)("%s, then %s reported %i ms after it: %o", (current, to, dt, want) => {
    expect(decideUpdate(current, T, to, T + dt)).toEqual(want);
  });

  it("never moves a shipment back, whatever the order of arrival", () => {
    for (const [current, to] of pairs) {
      const d = decideUpdate(current, T, to, T + 1);
      if (d.kind === "MOVE") expect(SHIPMENT_STATUSES.indexOf(d.to)).toBeGreaterThan(SHIPMENT_STATUSES.indexOf(current));
    }
  });
});

it("brings the order to SHIPPED, then COMPLETED", () => {
  expect(SHIPMENT_STATUSES.map(orderStatusAt)).toEqual([null, null, "SHIPPED", "COMPLETED", null]);
});
