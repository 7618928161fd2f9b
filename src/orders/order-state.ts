/**
 * The order lifecycle as an explicit transition table. Every state change goes through
 * `nextStatus`; a move the table does not allow is refused (ILLEGAL_TRANSITION), never forced.
 */
export type OrderStatus =
  | "QUOTED"
  | "AWAITING_PAYMENT" // a reorder before its payment is settled
  | "CONFIRMED"
  | "ASSIGNED"
  | "PRINTING"
  | "PRINTED"
  | "SHIPPED"
  | "COMPLETED"
  | "CANCELLED"
  | "FAILED";

export type OrderEvent =
  | "CONFIRM" // the customer accepts the quoted total (a reorder: its payment is settled)
  | "ASSIGN" // a lab is chosen and the print job queued
  | "REASSIGN" // an admin moves the order to another lab before printing
  | "CANCEL"
  | "START_PRINTING" // the lab claimed the job
  | "REQUEUE" // the lab's lease ran out: back in the queue
  | "FINISH_PRINTING"
  | "FAIL"
  | "SHIP"
  | "COMPLETE";

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>>> = {
  QUOTED: { CONFIRM: "CONFIRMED", CANCEL: "CANCELLED" },
  // A reorder waits here, with nothing printed, assigned or queued, until its payment is settled.
  AWAITING_PAYMENT: { CONFIRM: "CONFIRMED", CANCEL: "CANCELLED" },
  CONFIRMED: { ASSIGN: "ASSIGNED", CANCEL: "CANCELLED", FAIL: "FAILED" },
  ASSIGNED: { REASSIGN: "ASSIGNED", START_PRINTING: "PRINTING", CANCEL: "CANCELLED", FAIL: "FAILED" },
  PRINTING: { REQUEUE: "ASSIGNED", FINISH_PRINTING: "PRINTED", FAIL: "FAILED" },
  PRINTED: { SHIP: "SHIPPED", COMPLETE: "COMPLETED" },
  SHIPPED: { COMPLETE: "COMPLETED" },
  COMPLETED: {},
  CANCELLED: {},
  FAILED: {},
};

export const ORDER_STATUSES = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];

/** The state after `event`, or null when the table does not allow it. */
export function nextStatus(from: OrderStatus, event: OrderEvent): OrderStatus | null {
  return ORDER_TRANSITIONS[from][event] ?? null;
}

/** An order's move in SQL: the states it may leave and the one it enters. */
export interface OrderMove {
  from: OrderStatus[];
  to: OrderStatus;
}

const moves = new Map<OrderEvent, OrderMove>();

/**
 * The states `event` may leave and the one state they all lead to, so that an order can be moved
 * without reading it first. Throws for an event that leads to different states from different ones
 * (such an order must be read to move it).
 */
export function movesOf(event: OrderEvent): OrderMove {
  let move = moves.get(event);
  if (!move) {
    const from = ORDER_STATUSES.filter((s) => nextStatus(s, event) !== null);
    const targets = new Set(from.map((s) => nextStatus(s, event)));
    if (targets.size !== 1) throw new Error(`${event} does not lead to one order state`);
    moves.set(event, (move = { from, to: [...targets][0]! }));
  }
  return move;
}
