/**
 * The plain-HTTP edges beside GraphQL (image uploads and downloads, capture devices' uploads):
 * a refusal carries its status and a stable code, and every such route answers
 * `{ error: { code, message } }` the same way, reading and dropping a modest unread body so that the
 * client sees the answer.
 */
import type { Request, Response } from "express";
import type { Logger } from "pino";

/** A refusal with its HTTP status and stable code; the routes answer `{ error: { code, message } }`. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds after which the same request may succeed (429, 503): sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "HttpRefusal";
  }
}

export type RouteHandler = (req: Request, res: Response) => Promise<void>;

/** Answers an HttpRefusal with its status; anything else is logged and masked as a 500. */
export function answeringRefusals(logger: Logger, work: RouteHandler): RouteHandler {
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
      if (e instanceof HttpRefusal) {
        ({ status, code, message } = e);
        if (status >= 500) logger.error({ err: e, requestId: res.locals.requestId }, "request failed");
      } else {
        logger.error({ err: e, requestId: res.locals.requestId }, "request failed");
      }
      if (status === 401) res.setHeader("www-authenticate", 'Bearer realm="printmesh"');
      if (e instanceof HttpRefusal && e.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(e.retryAfterSeconds));
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

/** The Content-Length the client announced, if it is a plain number. */
export function contentLength(req: Request): number | undefined {
  const raw = req.header("content-length");
  return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/** The address a request came from, as the rate limits count it. */
export function remoteAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
