/**
 * The contract's `POST /shoots/<shootId>/images`: a capture device's key as the bearer, the image's
 * bytes as the body, `X-Subject` for whom it shows. `201` for a new image, `200` with the same image
 * for bytes the shoot already holds. Rules live in ShootIngestService.
 */
import type { Express, Request } from "express";
import { answeringRefusals, contentLength, HttpRefusal, remoteAddress } from "../core/http-refusal";
import type { AppContext } from "../core/request-context";
import type { CaptureDevicesService } from "./capture-devices.service";
import type { ShootIngestService } from "./shoot-ingest.service";

export interface ShootUploadRoutesOptions {
  devices: CaptureDevicesService;
  ingest: ShootIngestService;
}

export function mountShootUploadRoutes(app: Express, appContext: AppContext, { devices, ingest }: ShootUploadRoutesOptions): void {
  app.post(
    "/shoots/:shootId/images",
    answeringRefusals(appContext.logger, async (req, res) => {
      const deviceId = await device(devices, req);
      const shootId = typeof req.params.shootId === "string" ? req.params.shootId : "";
      const { image, created } = await ingest.ingest(deviceId, {
        shootId,
        subject: req.header("x-subject") ?? null,
        body: req,
        contentType: req.header("content-type") ?? "",
        declaredBytes: contentLength(req),
      });
      res.status(created ? 201 : 200).json({ imageId: image.imageId, sha256: image.sha256, width: image.width, height: image.height, subject: image.subject });
    }),
  );
}

/** The device of the request's bearer key; 401 for none or a bad one, 429 for an address over its limit. */
async function device(devices: CaptureDevicesService, req: Request): Promise<string> {
  const m = /^Bearer (\S+)$/i.exec(req.header("authorization") ?? "");
  if (!m) throw new HttpRefusal(401, "UNAUTHENTICATED", "Send Authorization: Bearer <capture device key>");
  const check = await devices.checkKey(m[1], remoteAddress(req));
  if (check.ok) return check.device.id;
  if (check.reason === "limited") throw new HttpRefusal(429, "RATE_LIMITED", "Too many bad keys from this address; try again later", check.retryAfterSeconds);
  throw new HttpRefusal(401, "UNAUTHENTICATED", "This capture device's key is not valid (unknown or revoked)");
}
