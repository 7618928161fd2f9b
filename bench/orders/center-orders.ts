/**
 * Orders through the center's public API, as a customer's client makes them: `placeOrder` with a
 * unique idempotency key, then `confirmOrder` with the quoted total. Every answer is read in full
 * and checked: HTTP 200, no GraphQL errors, no payload errors, the order QUOTED and then ASSIGNED
 * to a lab. Anything else throws, with what came back.
 *
 * Plain `node:http` with keep-alive sockets: fetch costs the load generator several times more CPU
 * per request, and it shares two cores with the center and MariaDB.
 */
import * as http from "node:http";
import type { Catalog } from "./scratch-database";

export const PLACE = `mutation Place($input: OrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    order { id status shopId total currency }
    errors { code message field }
  }
}`;

export const CONFIRM = `mutation Confirm($id: ID!, $total: Money!) {
  confirmOrder(orderId: $id, acceptedTotal: $total) {
    order { id status labId confirmedAt }
    errors { code message field }
  }
}`;

export interface OrderInput {
  /** The shop (the center assigns one of its labs), or a named lab: the benchmarks give one of the two. */
  shopId?: string;
  labId?: string;
  fulfilment: { method: "PICKUP" };
  subOrders: Array<{ serviceId: string; sheets: number; items: Array<{ imageId: string; layout?: object }> }>;
}

/**
 * The benchmark's order: 2 sub-orders x 3 items at a named shop, for pickup, of charged (stock)
 * images; the first sub-order's items placed on the sheet. Worker w orders at site w mod sites,
 * and the sheet counts move with the order number, so the quotes are not all alike.
 */
export function benchOrder(catalog: Catalog, worker: number, seq: number): OrderInput {
  const site = catalog.sites[worker % catalog.sites.length];
  const image = (k: number): string => catalog.imageIds[(worker + seq + k) % catalog.imageIds.length];
  return {
    shopId: site.shopId,
    fulfilment: { method: "PICKUP" },
    subOrders: [
      {
        serviceId: site.serviceIds[0],
        sheets: 1 + (seq % 12),
        items: [0, 1, 2].map((k) => ({ imageId: image(k), layout: { x: 10 + 100 * k, y: 10, width: 90, height: 130 } })),
      },
      { serviceId: site.serviceIds[1], sheets: 2 + ((seq * 7) % 40), items: [0, 1, 2].map((k) => ({ imageId: image(k + 1) })) },
    ],
  };
}

interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: unknown[];
}
interface Payload<O> {
  order: O | null;
  errors: unknown[];
}

export class CenterClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, connections: number) {
    this.url = new URL("/graphql", baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  }

  close(): void {
    this.agent.destroy();
  }

  /** POST /graphql; the parsed `data`, or throws with the status and the start of the body. */
  async gql<T>(query: string, variables: object, token: string): Promise<T> {
    return (await this.answer<T>(query, variables, token)).data;
  }

  /**
   * POST /graphql; the parsed `data` and the X-Center header, which names the center that answered
   * when a balancer in front of several sets it (undefined otherwise).
   */
  async answer<T>(query: string, variables: object, token: string): Promise<{ data: T; center: string | undefined }> {
    const body = JSON.stringify({ query, variables });
    const { status, text, center } = await new Promise<{ status: number; text: string; center: string | undefined }>((resolve, reject) => {
      const req = http.request(
        this.url,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          const header = res.headers["x-center"];
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), center: Array.isArray(header) ? header[0] : header }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    let answer: GraphQLAnswer<T>;
    try {
      answer = JSON.parse(text) as GraphQLAnswer<T>;
    } catch {
      throw new Error(`HTTP ${status}, not JSON: ${text.slice(0, 300)}`);
    }
    if (status !== 200 || answer.errors?.length || !answer.data) throw new Error(`HTTP ${status}${center ? ` from ${center}` : ""}: ${text.slice(0, 500)}`);
    return { data: answer.data, center };
  }

  /**
   * Places and confirms one order; its id and total, and which center answered each step (the
   * X-Center header, when a balancer sets it), or throws saying which step failed and why.
   */
  async placeAndConfirm(
    token: string,
    input: OrderInput,
    key: string,
  ): Promise<{ id: string; total: number; placedOn: string | undefined; confirmedOn: string | undefined }> {
    const place = await this.answer<{ placeOrder: Payload<{ id: string; status: string; total: number | null }> }>(PLACE, { input, key }, token);
    const placed = place.data.placeOrder;
    const order = placed.order;
    if (placed.errors.length > 0 || !order || order.status !== "QUOTED" || typeof order.total !== "number") {
      throw new Error(`placeOrder: ${JSON.stringify(placed).slice(0, 500)}`);
    }
    const confirm = await this.answer<{ confirmOrder: Payload<{ id: string; status: string; labId: string | null }> }>(
      CONFIRM,
      { id: order.id, total: order.total },
      token,
    );
    const confirmed = confirm.data.confirmOrder;
    if (confirmed.errors.length > 0 || confirmed.order?.id !== order.id || confirmed.order.status !== "ASSIGNED" || !confirmed.order.labId) {
      throw new Error(`confirmOrder: ${JSON.stringify(confirmed).slice(0, 500)}`);
    }
    return { id: order.id, total: order.total, placedOn: place.center, confirmedOn: confirm.center };
  }
}
