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
import { isMultipartForm, uploadFromForm } from "./multipart-upload";

type Handler = (req: Request, res: Response) => Promise<void>;

export interface ImageRoutesOptions {
  /** The images service, asked for per request (not captured), so that tests may swap it. */
  images: () => ImagesService;
  authenticate: Authenticate;
}

export function mountImageRoutes(app: Express, appContext: AppContext, { images, authenticate }: ImageRoutesOptions): void {
  app.post(
    "/images",
    handle(appContext, async (req, res) => {
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
    handle(appContext, async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const { image, created } = await images().upload(ctx, req.header("content-type"), req, { id: param(req), declaredBytes: contentLength(req) });
      res.status(created ? 201 : 200).json(uploaded(image));
    }),
  );

  app.get(
    "/images/:id",
    handle(appContext, async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const image = await images().get(ctx, param(req));
      res.setHeader("cache-control", "private, no-cache");
      res.json(view(image));
    }),
  );

  app.get(
    "/images/:id/thumbnail",
    handle(appContext, async (req, res) => {
      const ctx = await caller(appContext, authenticate, req, res);
      const { image, jpeg } = await images().thumbnail(ctx, param(req));
      res.setHeader("content-type", "image/jpeg");
      res.setHeader("content-length", String(jpeg.length));
      res.setHeader("etag", `"${image.sha256}-thumb"`);
      res.setHeader("cache-control", "private, max-age=300");
      res.end(jpeg);
    }),
  );

  app.get(
    "/images/:id/original",
    handle(appContext, async (req, res) => {
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

/** Answers an ImageError with its status; anything else is logged and masked as a 500. */
function handle(app: AppContext, work: Handler): Handler {
  return async (req, res) => {
    try {
      await work(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (req.destroyed && !req.complete) return; // the client went away mid-upload: nobody to answer
      let status = 500;
      let code = "INTERNAL_SERVER_ERROR";
      let message = "Something went wrong; the request id names it in the log";
      if (e instanceof ImageError) {
        ({ status, code, message } = e);
        if (status >= 500) app.logger.error({ err: e, requestId: res.locals.requestId }, "image request failed");
      } else {
        app.logger.error({ err: e, requestId: res.locals.requestId }, "image request failed");
      }
      if (status === 401) res.setHeader("www-authenticate", 'Bearer realm="printmesh"');
      if (e instanceof ImageError && e.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(e.retryAfterSeconds));
      if (!req.complete) discardBody(req, res);
      res.status(status).json({ error: { code, message } });
    }
  };
}

/** How much of a refused upload's body is read and thrown away so that the connection stays usable. */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * A refused upload is answered before its body was read. Closing at once with unread bytes makes
 * the kernel reset the connection, and the client may lose the answer; so a modest rest is read and
 * dropped (the connection then serves the next request), and a large one ends the connection.
 */
function discardBody(req: Request, res: Response): void {
  const declared = contentLength(req);
  if (declared !== undefined && declared > DRAIN_LIMIT_BYTES) {
    res.setHeader("connection", "close");
    return;
  }
  let drained = 0;
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
}

function param(req: Request): string {
  const id = req.params.id;
  return typeof id === "string" ? id : "";
}

function contentLength(req: Request): number | undefined {
  const raw = req.header("content-length");
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
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
