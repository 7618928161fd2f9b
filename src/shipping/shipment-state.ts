/**
 * A shipment's lifecycle as an explicit table, and the rule that orders its updates: by the time
 * each status happened (`at`, as the shipping terminal reports it), never by arrival. An update to
 * a status already passed, a repeat of the current one, or one older than the current status is
 * ignored (answered with the shipment as it is); only a move the table does not allow at all is
 * refused. Pure: no database, no GraphQL.
 */
import { unreachable } from "../common/unreachable";

export type ShipmentStatus = "TO_PACK" | "PACKED" | "SHIPPED" | "DELIVERED" | "RETURNED";

/** The statuses in the order a parcel passes them; RETURNED comes last. */
export const SHIPMENT_STATUSES: readonly ShipmentStatus[] = ["TO_PACK", "PACKED", "SHIPPED", "DELIVERED", "RETURNED"];

/**
 * Where each status may go. Forward only; a step may be skipped (the terminal's PACKED may arrive
 * after its SHIPPED, or never): RETURNED only once the parcel left (SHIPPED or DELIVERED).
 */
export const SHIPMENT_TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  TO_PACK: ["PACKED", "SHIPPED", "DELIVERED"],
  PACKED: ["SHIPPED", "DELIVERED"],
  SHIPPED: ["DELIVERED", "RETURNED"],
  DELIVERED: ["RETURNED"],
  RETURNED: [],
};

/** Why an update changes nothing. */
export type IgnoredBecause = "REPEATED" | "PASSED" | "OLDER";

export type ShipmentDecision =
  { kind: "MOVE"; to: ShipmentStatus } | { kind: "IGNORE"; because: IgnoredBecause } | { kind: "REFUSE"; code: "ILLEGAL_TRANSITION"; message: string };

/** Where a status stands in the order of SHIPMENT_STATUSES. */
export function rankOf(status: ShipmentStatus): number {
  return SHIPMENT_STATUSES.indexOf(status);
}

/** Whether the table lets `from` go to `to`. */
export function mayMove(from: ShipmentStatus, to: ShipmentStatus): boolean {
  return SHIPMENT_TRANSITIONS[from].includes(to);
}

/**
 * What an update reporting `to` at `at` (epoch ms) does to a shipment that is `current` since
 * `currentAt`: an older report is ignored whatever it says; a repeat or a status already passed is
 * ignored; a move the table allows is made; RETURNED before the parcel left is refused.
 */
export function decideUpdate(current: ShipmentStatus, currentAt: number, to: ShipmentStatus, at: number): ShipmentDecision {
  if (at < currentAt) return { kind: "IGNORE", because: "OLDER" };
  if (to === current) return { kind: "IGNORE", because: "REPEATED" };
  if (rankOf(to) < rankOf(current)) return { kind: "IGNORE", because: "PASSED" };
  if (mayMove(current, to)) return { kind: "MOVE", to };
  return { kind: "REFUSE", code: "ILLEGAL_TRANSITION", message: `A shipment that is ${current} cannot become ${to}: RETURNED only after SHIPPED or DELIVERED` };
}

/** The order's status a shipment's status brings it to (SHIPPED, then COMPLETED at delivery); null: the order stays. */
export function orderStatusAt(status: ShipmentStatus): "SHIPPED" | "COMPLETED" | null {
  switch (status) {
    case "SHIPPED":
      return "SHIPPED";
    case "DELIVERED":
      return "COMPLETED";
    case "TO_PACK":
    case "PACKED":
    case "RETURNED":
      return null;
    default:
      return unreachable(status);
  }
}
