/**
 * The HTTP edge of images (the contract's `POST /images`, its bytes as the body or one file in a
 * browser's form, and `PUT /images/<id>`, plus metadata, thumbnails and signed downloads). Bodies
 * are streamed to the service (a form's file part by multipart-upload.ts), never buffered; every
 * answer is JSON `{ error: { code, message } }` on failure. Rules live in ImagesService.
 */
import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import type { Express, Request, Response } from "express";
import { requestContext, type AppContext, type RequestContext } from "../core/request-context";
import { INVALID_CREDENTIAL, type Authenticate } from "../core/credentials";
import type { ImageEntity } from "./image.entity";
import { ImageError, extensionOf, type ImagesService } from "./images.service";
import { answeringRefusals, contentLength, type RouteHandler } from "../core/http-refusal";
import { isMultipartForm, uploadFromForm } from "./multipart-upload";

export interface ImageRoutesOptions {
  /** The images service, asked for per request (not captured), so that tests may swap it. */
  images: () => ImagesService;
  authenticate: Authenticate;
}

export function mountImageRoutes(app: Express, appContext: AppContext, { images, authenticate }: ImageRoutesOptions): void {
  const handle = (work: RouteHandler) => answeringRefusals(appContext.logger, work);
  app.post(
    "/images",
    handle(async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const type = req.header("content-type");
      // A browser form: its one file part takes the raw body's path (multipart-upload.ts).
      const { image } = isMultipartForm(type)
        ? await uploadFromForm(req, images().maxBytes, (partType, body, declaredBytes) => images().upload(ctx, partType, body, { declaredBytes }))
        : await images().upload(ctx, type, req, { declaredBytes: contentLength(req) });
      res.status(201).json(uploaded(image));
    }),
  );

  app.put(
    "/images/:id",
    handle(async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const { image, created } = await images().upload(ctx, req.header("content-type"), req, { id: param(req), declaredBytes: contentLength(req) });
      res.status(created ? 201 : 200).json(uploaded(image));
    }),
  );

  app.get(
    "/images/:id",
    handle(async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const image = await images().get(ctx, param(req));
      res.setHeader("cache-control", "private, no-cache");
      res.json(view(image));
    }),
  );

  app.get(
    "/images/:id/thumbnail",
    handle(async (req, res) => {
      // A signed link (an <img> sends no bearer header) or the caller's credential.
      const signed = req.query.sig !== undefined || req.query.exp !== undefined;
      const { image, jpeg } = signed
        ? await images().signedThumbnail(param(req), req.query.exp, req.query.sig)
        : await images().thumbnail(await caller(appContext, authenticate, req, res), param(req));
      res.setHeader("content-type", "image/jpeg");
      res.setHeader("content-length", String(jpeg.length));
      res.setHeader("etag", `"${image.sha256}-thumb"`);
      res.setHeader("cache-control", "private, max-age=300");
      res.end(jpeg);
    }),
  );

  app.get(
    "/images/:id/original",
    handle(async (req, res) => {
      const { image, stream } = await images().original(param(req), req.query.exp, req.query.sig, req.query.job);
      const etag = `"${image.sha256}"`;
      res.setHeader("etag", etag);
      res.setHeader("cache-control", "private, max-age=60");
      if (req.header("if-none-match") === etag) {
        stream.destroy();
        res.status(304).end();
        return;
      }
      res.setHeader("content-type", image.contentType);
      res.setHeader("content-length", String(image.bytes));
      res.setHeader("content-disposition", `attachment; filename="${image.id}.${extensionOf(image.contentType)}"`);
      try {
        await pipeline(stream, res);
      } catch (e) {
        // Headers are gone: the only honest signal left is a cut connection.
        appContext.logger.warn({ err: e, imageId: image.id, requestId: res.locals.requestId }, "image download interrupted");
        res.destroy();
      }
    }),
  );
}

/** Who is calling; a credential that does not verify is refused (401), never downgraded. */
async function caller(app: AppContext, authenticate: Authenticate, req: Request, res: Response): Promise<RequestContext> {
  const auth = await authenticate(req.header("authorization"), undefined, req.ip ?? req.socket.remoteAddress);
  if (auth === INVALID_CREDENTIAL) {
    throw new ImageError(401, "UNAUTHENTICATED", "The bearer token or lab key is not valid (expired, revoked or disabled)");
  }
  return requestContext(app, auth, String(res.locals.requestId ?? randomUUID()), req.ip ?? req.socket.remoteAddress ?? "unknown");
}

function param(req: Request): string {
  const id = req.params.id;
  return typeof id === "string" ? id : "";
}

/** The contract's answer to an upload. */
function uploaded(image: ImageEntity): { id: string; sha256: string; width: number; height: number } {
  return { id: image.id, sha256: image.sha256, width: image.width, height: image.height };
}

function view(image: ImageEntity) {
  const id = encodeURIComponent(image.id);
  return {
    id: image.id,
    ownerUserId: image.ownerUserId,
    stock: image.stock,
    contentType: image.contentType,
    bytes: image.bytes,
    sha256: image.sha256,
    width: image.width,
    height: image.height,
    createdAt: image.createdAt.toISOString(),
    thumbnailUrl: `/images/${id}/thumbnail`,
  };
}
