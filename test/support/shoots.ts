/**
 * Shoots and capture devices for tests: a shoot made through the API, a device with its key, and a
 * device's HTTP upload into a shoot.
 */
import { createHash } from "node:crypto";
import type { TestCenter } from "./center";

const CREATE_SHOOT = `mutation($input: ShootInput!) { createShoot(input: $input) { shoot { id shopId name firstPrintLabId availableUntil imageCount } errors { code field } } }`;
export const CREATE_DEVICE = `mutation($shopId: ID!, $name: String!) { createCaptureDevice(shopId: $shopId, name: $name) { device { id shopId name revoked } key errors { code field } } }`;

/** The createShoot payload (errors included: a test may expect some). */
export async function newShoot(c: TestCenter, bearer: string, input: Record<string, unknown>): Promise<any> {
  const r = await c.gql(CREATE_SHOOT, { input }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.createShoot;
}

/** A new capture device of `shopId`, with its key. */
export async function newDevice(c: TestCenter, bearer: string, shopId: string, name = "Camera A"): Promise<{ id: string; key: string }> {
  const r = await c.gql(CREATE_DEVICE, { shopId, name }, bearer);
  expect(r.data!.createCaptureDevice.errors).toEqual([]);
  return { id: r.data!.createCaptureDevice.device.id, key: r.data!.createCaptureDevice.key };
}

/** POST /shoots/<id>/images with a device's key (null: none); PNG bytes unless headers say otherwise. */
export async function uploadToShoot(
  c: TestCenter,
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

export const REVOKE_DEVICE = `mutation($id: ID!) { revokeCaptureDevice(id: $id) { device { id revoked } errors { code } } }`;

/** The hex SHA-256 of bytes, as shoot images carry it. */
export const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
