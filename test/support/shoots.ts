/** Shoots and capture devices made through the API, and a capture device's HTTP upload. */
import type { TestCenter } from "./center";

export const CREATE_SHOOT = `mutation($input: ShootInput!) { createShoot(input: $input) { shoot { id shopId name firstPrintLabId availableUntil imageCount } errors { code field } } }`;
export const CREATE_DEVICE = `mutation($shopId: ID!, $name: String!) { createCaptureDevice(shopId: $shopId, name: $name) { device { id shopId name revoked } key errors { code field } } }`;

/** createShoot's payload (no GraphQL error expected; payload errors are the caller's to check). */
export async function newShoot(c: TestCenter, bearer: string, input: Record<string, unknown>): Promise<any> {
  const r = await c.gql(CREATE_SHOOT, { input }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.createShoot;
}

/** A new capture device of the shop, with its key. */
export async function newDevice(c: TestCenter, bearer: string, shopId: string): Promise<{ id: string; key: string }> {
  const r = await c.gql(CREATE_DEVICE, { shopId, name: "Camera A" }, bearer);
  expect(r.data!.createCaptureDevice.errors).toEqual([]);
  return { id: r.data!.createCaptureDevice.device.id, key: r.data!.createCaptureDevice.key };
}

/** POST /shoots/<id>/images as a capture device (key null: no credential). */
export async function uploadToShoot(
  c: Pick<TestCenter, "url">,
  shootId: string,
  key: string | null,
  bytes: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const h: Record<string, string> = { "content-type": "image/png", ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  const res = await fetch(`${c.url}/shoots/${encodeURIComponent(shootId)}/images`, { method: "POST", headers: h, body: new Uint8Array(bytes) });
  return { status: res.status, json: await res.json() };
}
