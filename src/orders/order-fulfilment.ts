/**
 * The handover the customer gave at placeOrder, read back from the order's stored request. The
 * request is kept as written then (JSON), so this reader is the one place that knows its shape.
 */
import { FulfilmentMethod, FulfilmentSpeed } from "../catalog/fulfilment";

export interface AddressView {
  country: string;
  postalCode: string;
  region: string | null;
  city: string | null;
  line1: string | null;
  line2: string | null;
  recipient: string | null;
}

export interface FulfilmentView {
  method: FulfilmentMethod;
  speed: FulfilmentSpeed;
  address: AddressView | null;
}

const METHODS = new Set<string>(Object.values(FulfilmentMethod));
const SPEEDS = new Set<string>(Object.values(FulfilmentSpeed));

function text(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

/** The fulfilment stored in an order's request JSON; null when the customer gave none. */
export function fulfilmentOf(requestJson: string): FulfilmentView | null {
  const request = JSON.parse(requestJson) as { fulfilment?: Record<string, unknown> | null };
  const f = request.fulfilment;
  if (!f || typeof f.method !== "string" || !METHODS.has(f.method)) return null;
  // placeOrder always stores a speed (the input defaults it); a request without one counts as STANDARD.
  const speed = typeof f.speed === "string" && SPEEDS.has(f.speed) ? (f.speed as FulfilmentSpeed) : FulfilmentSpeed.STANDARD;
  const a = f.address as Record<string, unknown> | null | undefined;
  const address: AddressView | null =
    a && typeof a === "object"
      ? {
          country: String(a.country ?? ""),
          postalCode: String(a.postalCode ?? ""),
          region: text(a.region),
          city: text(a.city),
          line1: text(a.line1),
          line2: text(a.line2),
          recipient: text(a.recipient),
        }
      : null;
  return { method: f.method as FulfilmentMethod, speed, address };
}

/** The customer's own reference stored in an order's request JSON; null when none was given. */
export function customerReferenceOf(requestJson: string): string | null {
  const request = JSON.parse(requestJson) as { customerReference?: unknown };
  return typeof request.customerReference === "string" ? request.customerReference : null;
}

/**
 * When a confirmed order is due: its confirmation plus the hours of its speed (PRINT_DUE_HOURS,
 * PRINT_DUE_HOURS_EXPRESS; an order without a fulfilment is standard). Null until confirmed.
 */
export function dueAtOf(confirmedAt: Date | null, speed: FulfilmentSpeed | null, hours: { standard: number; express: number }): Date | null {
  if (!confirmedAt) return null;
  const h = speed === FulfilmentSpeed.EXPRESS ? hours.express : hours.standard;
  return new Date(confirmedAt.getTime() + h * 3600_000);
}
