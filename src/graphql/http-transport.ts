/**
 * GraphQL over HTTP for the common request, without Express: a POST to /graphql with a JSON body
 * of a declared length, as every frontend and the lab daemon send it. The request is read and
 * parsed here and handed to Apollo Server (`executeHTTPGraphQLRequest`, as Apollo's Express
 * integration does), and Apollo's answer is written back as it is.
 *
 * Express's router, its JSON body parser and its response helpers cost a GraphQL request about a
 * fifth of the center's CPU for a small query; this path leaves them out. Everything Apollo does is
 * unchanged (CSRF prevention, the request limits, errors, plugins, metrics and logs), and so is
 * the request id (`x-request-id`), the body limit and the caller's address for rate limits.
 *
 * The plain request is answered by the center's own runner (http-operations.ts), with the answer
 * Apollo would give; anything unusual about it is handed to Apollo as described above.
 *
 * Anything else goes to Express exactly as before: GET (queries, the IDE), other paths, another
 * content type or charset, a compressed body, a body without Content-Length (chunked) or longer
 * than the limit (Express answers 413). A body that is not JSON is answered 400 here, as Apollo
 * answers a JSON body it cannot use.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext, type ContextThunk } from "@apollo/server";
import type { Logger } from "pino";
import { GraphQLError } from "graphql";
import { differenceOf, REPLAY, type ComparedAnswer, type Replay } from "./http-differential";
import type { HttpAnswer, HttpOperations } from "./http-operations";

export interface GraphqlHttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  path: string;
  /** The largest body taken; a longer one goes to Express, which answers 413. */
  bodyLimit: number;
  /** The request's context, or throws a GraphQLError that Apollo answers (say, 401). */
  context: (req: http.IncomingMessage, requestId: string) => Promise<C>;
  logger: Logger;
  /** The runner for plain requests; what it declines goes to Apollo. */
  direct?: HttpOperations;
  /**
   * Differential mode (http-differential.ts): each answer of the runner is compared with Apollo's
   * for the same request; `differs` is told of each difference (it logs and counts it).
   */
  differential?: { differs(requestId: string, why: string, direct: ComparedAnswer | string, apollo: ComparedAnswer | null): void };
}

/** The `x-request-id` the center answers with: the caller's, when it is a plain token, else a new one. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

/** A JSON content type, as Express's JSON parser takes it (application/json, in UTF-8). */
const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * A request handler for the HTTP server: true when it took the request (and will answer it),
 * false when the request is for Express.
 */
export function graphqlHttp<C extends BaseContext>(opts: GraphqlHttpOptions<C>): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    const q = url.indexOf("?");
    if ((q === -1 ? url : url.slice(0, q)) !== opts.path) return false;
    const type = req.headers["content-type"];
    const length = Number(req.headers["content-length"] ?? NaN);
    const encoding = req.headers["content-encoding"];
    if (type === undefined || !JSON_TYPE.test(type) || !Number.isSafeInteger(length) || length > opts.bodyLimit) return false;
    if (encoding !== undefined && encoding.toLowerCase() !== "identity") return false;
    if (req.headers["transfer-encoding"] !== undefined) return false;
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    readBody(req, length).then(
      (text) => answer(opts, req, res, requestId, q === -1 ? "" : url.slice(q), text),
      (e: unknown) => {
        opts.logger.debug({ err: e, requestId }, "GraphQL request body not read");
        if (!res.headersSent && !res.destroyed)
          reply(res, 400, { errors: [{ message: "The request body could not be read", extensions: { code: "BAD_REQUEST" } }] });
      },
    );
    return true;
  };
}

/** The body as text; Node's parser stops it at the declared length. */
function readBody(req: http.IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (received !== length) reject(new Error(`the body ended after ${received} of ${length} bytes`));
      else resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks, received).toString("utf8"));
    });
    req.on("error", reject);
  });
}

async function answer<C extends BaseContext>(
  opts: GraphqlHttpOptions<C>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  requestId: string,
  search: string,
  text: string,
): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    reply(res, 400, { errors: [{ message: `The request body is not valid JSON: ${(e as Error).message}`, extensions: { code: "BAD_REQUEST" } }] });
    return;
  }
  try {
    const direct = opts.direct ? await directAnswer(opts, req, requestId, search, body) : null;
    const response = direct ?? (await viaApollo(opts, req, requestId, search, body));
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  } catch (e) {
    opts.logger.error({ err: e, requestId }, "GraphQL request failed");
    if (!res.headersSent) reply(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    else res.destroy();
  }
}

/** Apollo's answer to the request, as its Express integration asks for it; with a replay, not executed again. */
function viaApollo<C extends BaseContext>(
  opts: GraphqlHttpOptions<C>,
  req: http.IncomingMessage,
  requestId: string,
  search: string,
  body: unknown,
  replay?: Replay,
) {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  const context: ContextThunk<C> = replay
    ? async () => {
        let own: C;
        try {
          own = await opts.context(req, requestId);
        } catch (e) {
          // The runner executed first: a mutation that ended its caller's own session (a password
          // change) makes this later authentication refuse the credential the runner accepted.
          const unauthenticated = e instanceof GraphQLError && e.extensions.code === "UNAUTHENTICATED";
          if (!unauthenticated || replay.type !== "mutation" || replay.auth.kind === "anonymous") throw e;
          own = replay.context as unknown as C;
        }
        return Object.assign(own, { [REPLAY]: replay });
      }
    : () => opts.context(req, requestId);
  return opts.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: "POST", headers, search, body }, context });
}

/** The runner's answer, or null; in differential mode compared with Apollo's first. */
async function directAnswer<C extends BaseContext>(
  opts: GraphqlHttpOptions<C>,
  req: http.IncomingMessage,
  requestId: string,
  search: string,
  body: unknown,
): Promise<HttpAnswer | null> {
  const direct = opts.direct!;
  if (!opts.differential) return direct.answer(req, body, requestId);
  let answer: Awaited<ReturnType<HttpOperations["answer"]>>;
  try {
    answer = await direct.answer(req, body, requestId);
  } catch (e) {
    // The runner failed, maybe after executing: Apollo is not asked (a mutation would run twice).
    const why = `the center's runner failed: ${(e as Error)?.message}`;
    opts.differential.differs(requestId, why, String((e as Error)?.stack ?? e), null);
    return laneDifference(why);
  }
  if (answer === null || answer.replay === undefined) return answer;
  const mine: ComparedAnswer = { status: answer.status, contentType: answer.headers.get("content-type"), body: answer.body.string };
  const apollo = await compared(await viaApollo(opts, req, requestId, search, body, answer.replay));
  const why = differenceOf(mine, apollo, answer.replay);
  if (why === null) return answer;
  opts.differential.differs(requestId, why, mine, apollo);
  return laneDifference(why);
}

async function compared(response: Awaited<ReturnType<ApolloServer["executeHTTPGraphQLRequest"]>>): Promise<ComparedAnswer> {
  let body = "";
  if (response.body.kind === "complete") body = response.body.string;
  else for await (const chunk of response.body.asyncIterator) body += chunk;
  return { status: response.status ?? 200, contentType: response.headers.get("content-type"), body };
}

/** What a request answered differently by the two lanes gets: a 500 no test can take for success. */
function laneDifference(why: string): HttpAnswer {
  const text = JSON.stringify({
    errors: [{ message: `The center's HTTP lane and Apollo answered differently: ${why}`, extensions: { code: "HTTP_LANE_DIFFERENCE" } }],
  });
  return { status: 500, headers: new Map([["content-type", "application/json; charset=utf-8"]]), body: { kind: "complete", string: text } };
}

function reply(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Express's last error handler: a request Express refused (a body over the limit, another charset,
 * a body that is not JSON) answers JSON in the GraphQL shape with a code, in every configuration.
 * Express's own handler answers an HTML page that, outside production, holds the stack.
 */
export function expressErrors(logger: Logger, bodyLimit: number) {
  return (err: unknown, req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
    const given = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : 500;
    const status = given >= 400 && given < 600 ? given : 500;
    if (status === 413) {
      reply(res, 413, {
        errors: [
          {
            message: `The request body is larger than ${bodyLimit} bytes (${(bodyLimit / 1024 / 1024).toFixed(0)} MiB)`,
            extensions: { code: "PAYLOAD_TOO_LARGE" },
          },
        ],
      });
    } else if (status < 500 && e.expose !== false && typeof e.message === "string") {
      reply(res, status, { errors: [{ message: e.message, extensions: { code: "BAD_REQUEST" } }] });
    } else {
      logger.error({ err, method: req.method, url: req.url }, "HTTP request failed");
      reply(res, status, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    }
  };
}
