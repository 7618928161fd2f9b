/**
 * Cross-origin calls from browser pages (CORS_ORIGINS): a page served from a listed origin may
 * call /graphql and /images (and everything under /images/) with a bearer token. Browsers ask first
 * (a preflight, OPTIONS) before a JSON POST or any request that carries Authorization; the answer
 * names the one origin that asked, the methods and headers a client sends, and how long a browser
 * may keep the answer. An origin not listed gets no allowance at all, not even a list of methods.
 *
 * The center authenticates with bearer tokens, never cookies, so credentials stay off: a page can
 * only spend a token it was given. CSRF prevention is Apollo's and stays on: a simple request (one
 * a browser sends without a preflight, say a GET with a query string) is still refused unless it
 * carries `apollo-require-preflight` or another header that forces a preflight.
 *
 * This runs first in the HTTP server, before the center's direct GraphQL lane and Express, so that
 * every answer on these paths (refusals included) carries the headers a page needs to read it.
 */
import type * as http from "node:http";
import cors from "cors";

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 600;

/** What a browser client sends: JSON, a form, a bearer token, and Apollo clients' own headers. */
const ALLOWED_HEADERS = [
  "content-type",
  "authorization",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
  "apollographql-client-version",
  "x-request-id",
];

/** What a page may read of an answer beyond the basic headers. */
const EXPOSED_HEADERS = ["x-request-id", "retry-after", "www-authenticate"];

/** GET and POST for GraphQL and images; PUT for a center admin's stock image. */
const METHODS = ["GET", "HEAD", "POST", "PUT"];

type Next = () => void;
export type CorsGate = (req: http.IncomingMessage, res: http.ServerResponse, next: Next) => void;

/** Whether a path (without its query) is one that pages on other origins may call. */
export function isCrossOriginPath(url: string | undefined): boolean {
  const raw = url ?? "";
  const q = raw.indexOf("?");
  const path = q === -1 ? raw : raw.slice(0, q);
  return path === "/graphql" || path === "/images" || path.startsWith("/images/");
}

/**
 * The CORS step for the HTTP server, or null when no origin is listed (the center then answers
 * exactly as without it). `next` serves the request; a preflight is answered here and goes no further.
 */
export function corsGate(origins: readonly string[]): CorsGate | null {
  if (origins.length === 0) return null;
  const listed = new Set(origins);
  const allow = cors({
    origin: (origin, cb) => cb(null, origin !== undefined && listed.has(origin)),
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    if (!isCrossOriginPath(req.url)) {
      next();
      return;
    }
    // The answer depends on Origin whether or not it is listed: a shared cache must not hand one
    // origin's answer (with or without the allowance) to another.
    res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined;
    if (preflight && !listed.has(origin)) {
      res.statusCode = 204;
      res.setHeader("content-length", "0");
      res.end();
      return;
    }
    allow(req, res, (err?: unknown) => {
      // The options are static and the origin check cannot fail: `err` is never set.
      if (err) res.destroy(err instanceof Error ? err : undefined);
      else next();
    });
  };
}
