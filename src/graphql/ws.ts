/**
 * GraphQL over WebSocket (graphql-ws) on the /graphql path. Subscriptions for everyone, and every
 * query and mutation too: a lab daemon sends its claims, completions and reports over the socket
 * it already holds for its print jobs, which spares each of them an HTTP request.
 *
 * What HTTP does per request is done here per operation:
 * - the credential given when the socket opened is checked again (the same caches as HTTP, so a
 *   revoked key or a disabled user is refused as soon as HTTP would refuse it); a refused one
 *   closes the socket with 4403;
 * - the same depth, alias, cost and token limits; parsed and validated documents are kept in a
 *   bounded cache (document-cache.ts), the one HTTP's plain requests use too;
 * - errors are formatted as over HTTP (unexpected ones masked), and operations are counted, timed
 *   and logged with `transport: "ws"`.
 *
 * Beyond that, when lab keys, labs or users change anywhere, the sockets whose credential no
 * longer holds are closed with 4403 at once, so a revoked lab key does not keep a subscription.
 *
 * What one client may hold is bounded (config `ws`): sockets per credential (a lab key, or a
 * person's sessions together; one more is closed with 1008), operations in flight and
 * subscriptions per socket (one more is refused with TOO_MANY_OPERATIONS / TOO_MANY_SUBSCRIPTIONS,
 * the socket stays), and one `printJobs` subscription per socket: a second replaces the first
 * (which completes), as the lab daemon subscribes again to be sent its backlog. So a lab key holds
 * at most as many job streams as it may open sockets (several daemons may serve one lab). The
 * transport bounds what a socket that does not read may cost (ws-transport.ts).
 *
 * The protocol is served by the center's transport lane (ws-transport.ts: why, the measured gain
 * and its differential test are there) or, with GRAPHQL_WS_LANE=library, by graphql-ws's `useServer`.
 */
import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { Context, ServerOptions, SubscribePayload } from "graphql-ws";
import type { Extra } from "graphql-ws/use/ws";
import type { Logger } from "pino";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { INVALID_CREDENTIAL, type CredentialMemo, type Credentials } from "../core/credentials";
import type { Metrics } from "../observability/metrics";
import type { CompiledOperations } from "./compiled-execution";
import type { DocumentCache } from "./document-cache";
import { requestContext, type AppContext, type Auth, type RequestContext, type ResolverInstances } from "../core/request-context";
import { errorCodes } from "./operation-codes";
import { noteRequestOfErrors } from "./errors-format";
import { KEEP_ALIVE_MS, serveGraphqlWs, WS_POLICY_VIOLATION } from "./ws-transport";

/** 4403 Forbidden, as graphql-ws closes a socket whose onConnect refused the credential. */
export const WS_FORBIDDEN = 4403;
/** Lab keys checked per statement when sockets are swept after a key or lab changed. */
const SWEEP_CHUNK = 500;

type WsExtra = {
  /** The Authorization value the socket was opened with ("Bearer ..."), checked again per operation. */
  header?: string;
  /** The header as parsed when the socket opened: not parsed (nor a lab key hashed) again per operation. */
  credential?: CredentialMemo;
  auth?: Auth;
  ip?: string;
  /** Whose sockets this one counts with (sockets per credential); unset for anonymous sockets. */
  principal?: string;
  /** Operations in flight: from their subscribe message until they complete. */
  operations?: number;
  /** This socket's live subscriptions, by their subscribe message's payload. */
  subscriptions?: Set<object>;
  printJobs?: PrintJobsHolder;
};
type WsContext = Context<Record<string, unknown> | undefined, Extra & WsExtra>;

export interface WsServerOptions {
  app: AppContext;
  /** Who is calling, and whether open sockets' credentials still hold (the identity domain's). */
  credentials: Credentials;
  /** The center's resolver instances, for the schema's container. */
  resolvers: ResolverInstances;
  schema: GraphQLSchema;
  httpServer: http.Server;
  rules: readonly ValidationRule[];
  metrics: Metrics;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Largest message accepted (bytes); a bigger one closes the socket (1009). */
  maxPayload: number;
  /** Parsed and validated documents (shared with HTTP, which uses the same rules). */
  documents: DocumentCache;
  /** Runs queries and mutations (compiled-execution.ts); subscriptions go through graphql-js. */
  operations: CompiledOperations;
}

/** A socket's one printJobs subscription. */
interface PrintJobsHolder {
  /** Its subscribe message's payload: what graphql-ws hands every hook of that operation. */
  payload: object;
  /** Its event stream, once subscribed; ended when another subscription of the socket replaces it. */
  stream: AsyncGenerator | null;
}

export interface WsServer {
  /** Closes every socket and stops accepting. */
  dispose(): Promise<void>;
}

/**
 * An error with the code HTTP gives it. A syntax or validation error takes the code whatever it
 * carried (Apollo's rule: graphql-armor's limits raise theirs with BAD_USER_INPUT, and HTTP answers
 * GRAPHQL_VALIDATION_FAILED); a refused variable keeps a code it has (`keep`).
 */
function coded(e: GraphQLError, code: string, keep = false): GraphQLError {
  if (keep && e.extensions?.code) return e;
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: { ...e.extensions, code },
  });
}

/**
 * An answer without data whose errors GraphQL raised itself (no thrown Error behind them) is a
 * request refused before execution: its variables did not fit their types. HTTP (Apollo) answers
 * those as BAD_USER_INPUT; so does the socket, rather than masking them as internal errors.
 */
function withRequestCodes(result: ExecutionResult): readonly GraphQLError[] | undefined {
  if (!result.errors || result.data !== undefined) return result.errors;
  return result.errors.map((e) => (!e.originalError || e.originalError instanceof GraphQLError ? coded(e, "BAD_USER_INPUT", true) : e));
}

/** Each cached document's operations, by the name asked for, with what metrics and the log call them. */
const operations = new WeakMap<DocumentNode, Map<string, ResolvedOperation>>();

interface ResolvedOperation {
  operation: OperationDefinitionNode;
  /** The root field: bounded by the schema, unlike client-chosen operation names. */
  name: string;
  type: string;
}

/**
 * The operation of `document` that `operationName` picks (the only one when none is named), as
 * graphql-js picks it, or null: found once per document and name, then used to refuse, run and
 * count it.
 */
function resolveOperation(document: DocumentNode, operationName: string | null | undefined): ResolvedOperation | null {
  let byName = operations.get(document);
  if (byName === undefined) operations.set(document, (byName = new Map()));
  const key = operationName ?? "";
  let resolved = byName.get(key);
  if (resolved === undefined) {
    const operation = getOperationAST(document, operationName);
    // Only names of the document's own operations are kept: a client's made-up names are not.
    if (!operation) return null;
    const sel = operation.selectionSet.selections[0];
    resolved = { operation, name: sel && sel.kind === "Field" ? sel.name.value : "unknown", type: operation.operation };
    byName.set(key, resolved);
  }
  return resolved;
}

export function startWsServer(opts: WsServerOptions): WsServer {
  const { app, credentials, schema, metrics, logger } = opts;
  const wsServer = new WebSocketServer({ server: opts.httpServer, path: "/graphql", maxPayload: opts.maxPayload });
  wsServer.on("connection", (socket) => {
    metrics.wsConnections.inc();
    socket.once("close", () => metrics.wsConnections.dec());
  });
  const cache = opts.documents;
  const open = new Set<WsContext>();
  const started = new WeakMap<object, bigint>();

  const limits = app.config.ws;
  /** Open sockets per principal (sockets per credential). */
  const sockets = new Map<string, number>();
  const refusal = (message: string, code: string): GraphQLError[] => [new GraphQLError(message, { extensions: { code } })];

  const refuse = (ctx: WsContext, why: string): void => {
    open.delete(ctx);
    logger.info({ ip: ctx.extra.ip, why }, "graphql-ws: closing a socket whose credential no longer holds");
    // After the operation's error message (if any) has gone out.
    setImmediate(() => ctx.extra.socket.close(WS_FORBIDDEN, "Forbidden"));
  };

  /**
   * An operation's checks, in HTTP's order and words (credential, syntax, validation, operation),
   * then the socket's own limits: its execution arguments, or the errors refusing it.
   */
  const admit = async (ctx: WsContext, payload: SubscribePayload): Promise<ExecutionArgs | GraphQLError[]> => {
    const auth = await credentials.authenticate(ctx.extra.header, ctx.extra.credential, ctx.extra.ip);
    if (auth === INVALID_CREDENTIAL) {
      refuse(ctx, "refused on an operation");
      return [new GraphQLError("The bearer token or lab key is not valid (expired, revoked or disabled)", { extensions: { code: "UNAUTHENTICATED" } })];
    }
    ctx.extra.auth = auth;
    let document: DocumentNode;
    try {
      document = cache.parse(payload.query);
    } catch (e) {
      if (e instanceof GraphQLError) return [coded(e, "GRAPHQL_PARSE_FAILED")];
      throw e;
    }
    const errors = cache.validate(schema, document, opts.rules);
    if (errors.length > 0) return errors.map((e) => coded(e, "GRAPHQL_VALIDATION_FAILED"));
    // No operation by that name (or several and no name): refused as HTTP refuses it, in graphql-js's words.
    const resolved = resolveOperation(document, payload.operationName);
    if (!resolved) {
      const message = payload.operationName
        ? `Unknown operation named "${payload.operationName}".`
        : "Must provide operation name if query contains multiple operations.";
      return [new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
    }
    if (resolved.type === "subscription") {
      const x = ctx.extra;
      // One printJobs stream per socket (each costs a query per job queued). The lab daemon
      // subscribes again (to be sent its backlog) before it drops the old subscription: the new
      // one replaces the old, which completes.
      const replaced = resolved.name === "printJobs" ? x.printJobs : undefined;
      if ((x.subscriptions?.size ?? 0) - (replaced ? 1 : 0) >= limits.maxSubscriptions) {
        return refusal(`Too many subscriptions on this socket (at most ${limits.maxSubscriptions})`, "TOO_MANY_SUBSCRIPTIONS");
      }
      (x.subscriptions ??= new Set()).add(payload);
      if (resolved.name === "printJobs") {
        if (replaced) {
          x.subscriptions.delete(replaced.payload);
          void replaced.stream?.return(undefined);
        }
        x.printJobs = { payload, stream: null };
      }
    }
    const contextValue: RequestContext = requestContext(app, auth, randomUUID(), ctx.extra.ip ?? "unknown", opts.resolvers);
    started.set(contextValue, process.hrtime.bigint());
    return { schema, document, operationName: payload.operationName, variableValues: payload.variables ?? undefined, contextValue };
  };

  const options: ServerOptions<Record<string, unknown> | undefined, Extra & Partial<WsExtra>> = {
    schema,
    execute: (args) => {
      const resolved = resolveOperation(args.document, args.operationName);
      // No such operation in the document: graphql-js says so in its own words.
      if (!resolved) return execute(args);
      return opts.operations.execute(args.document, resolved.operation, args.variableValues as Record<string, unknown> | null | undefined, args.contextValue);
    },
    onConnect: async (ctx) => {
      const raw = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      const header = typeof raw === "string" ? raw : undefined;
      const credential: CredentialMemo = {};
      const ip = ctx.extra.request.socket.remoteAddress ?? "unknown";
      const auth = await credentials.authenticate(header, credential, ip);
      // false closes the socket with 4403 Forbidden (graphql-ws protocol).
      if (auth === INVALID_CREDENTIAL) return false;
      ctx.extra.header = header;
      ctx.extra.credential = credential;
      ctx.extra.auth = auth;
      ctx.extra.ip = ip;
      const principal = auth.kind === "lab" ? `lab-key:${auth.keyId}` : auth.kind === "user" ? `user:${auth.user.id}` : undefined;
      if (principal !== undefined) {
        const held = sockets.get(principal) ?? 0;
        if (held >= limits.maxSocketsPerCredential) {
          logger.info({ ip: ctx.extra.ip, sockets: held }, "graphql-ws: refusing a socket beyond the cap per credential");
          ctx.extra.socket.close(WS_POLICY_VIOLATION, "Too many sockets for this credential");
          return false;
        }
        sockets.set(principal, held + 1);
        ctx.extra.principal = principal;
      }
      ctx.extra.operations = 0;
      open.add(ctx);
      return true;
    },
    onClose: (ctx) => {
      open.delete(ctx);
      const principal = ctx.extra.principal;
      if (principal !== undefined) {
        const held = (sockets.get(principal) ?? 1) - 1;
        if (held > 0) sockets.set(principal, held);
        else sockets.delete(principal);
      }
    },
    onSubscribe: async (ctx, _id, payload) => {
      const x = ctx.extra;
      // Counted from here, so that operations still being checked count too.
      if ((x.operations ?? 0) >= limits.maxOperations)
        return refusal(`Too many operations in flight on this socket (at most ${limits.maxOperations})`, "TOO_MANY_OPERATIONS");
      x.operations = (x.operations ?? 0) + 1;
      const accepted = await admit(ctx, payload);
      if (Array.isArray(accepted)) x.operations--;
      return accepted;
    },
    onComplete: (ctx, _id, payload) => {
      const x = ctx.extra;
      x.operations = (x.operations ?? 1) - 1;
      if (x.subscriptions?.delete(payload) && x.printJobs?.payload === payload) x.printJobs = undefined;
    },
    onOperation: (ctx, _id, payload, args, result) => {
      const resolved = resolveOperation(args.document, args.operationName);
      if (!resolved) return;
      const { name, type } = resolved;
      const context = args.contextValue as RequestContext;
      const t0 = started.get(context);
      const seconds = t0 === undefined ? 0 : Number(process.hrtime.bigint() - t0) / 1e9;
      metrics.operations.inc({ operation: name, type, transport: "ws" });
      if (Symbol.asyncIterator in (result as object)) {
        // A printJobs stream that is not its socket's one any more (replaced while it was set up) ends at once.
        if (name === "printJobs") {
          const held = ctx.extra.printJobs;
          if (held?.payload === payload) held.stream = result as AsyncGenerator;
          else void (result as AsyncGenerator).return(undefined);
        }
        logger.info({ requestId: context.requestId, operation: name, type, transport: "ws" }, "graphql");
        return;
      }
      metrics.latency.observe({ operation: name, type, transport: "ws" }, seconds);
      const codes = errorCodes({ data: (result as ExecutionResult).data, errors: withRequestCodes(result as ExecutionResult) });
      for (const code of codes) metrics.errors.inc({ code });
      if (logger.isLevelEnabled("info")) {
        logger.info(
          { requestId: context.requestId, operation: name, type, transport: "ws", ms: Math.round(seconds * 1000), codes: codes.length ? codes : undefined },
          "graphql",
        );
      }
    },
    // Errors as HTTP shows them: coded ones as they are, anything unexpected masked (and logged).
    onNext: (_ctx, _id, _payload, args, result) => {
      // A subscription's context lasts as long as the subscription, and each event is executed
      // with it: what one event's resolvers memoised (loaders and their caches) is dropped once
      // that event is out, so a lab's stream does not keep every order it was ever sent.
      (args.contextValue as RequestContext).memo.clear();
      const errors = withRequestCodes(result);
      if (!errors || errors.length === 0) return;
      noteRequestOfErrors(errors, (args.contextValue as RequestContext).requestId);
      return { ...result, errors: errors.map((e) => opts.formatError(e.toJSON(), e)) };
    },
  };
  const transport =
    limits.lane === "library"
      ? useServer<Record<string, unknown> | undefined, WsExtra>({ ...options, isProd: app.config.env === "production" }, wsServer, KEEP_ALIVE_MS)
      : serveGraphqlWs<Record<string, unknown> | undefined, WsExtra>(options, wsServer, logger, {
          sendBufferBytes: limits.sendBufferBytes,
          sendStallMs: limits.sendStallMs,
          isProd: app.config.env === "production",
        });

  /** Lab sockets whose key was revoked or whose lab was disabled or removed: closed. */
  const sweepLabs = async (): Promise<void> => {
    const byKey = new Map<string, WsContext[]>();
    for (const ctx of open) {
      const a = ctx.extra.auth;
      if (a?.kind !== "lab") continue;
      const list = byKey.get(a.keyId);
      if (list) list.push(ctx);
      else byKey.set(a.keyId, [ctx]);
    }
    const keyIds = [...byKey.keys()];
    for (let i = 0; i < keyIds.length; i += SWEEP_CHUNK) {
      const chunk = keyIds.slice(i, i + SWEEP_CHUNK);
      const still = await credentials.validLabKeys(chunk);
      for (const keyId of chunk) if (!still.has(keyId)) for (const ctx of byKey.get(keyId) ?? []) refuse(ctx, "lab key revoked or lab disabled");
    }
  };

  /** Sockets of a user (or of every user) checked again after a change to users. */
  const sweepUsers = async (userId: string | undefined): Promise<void> => {
    credentials.forgetUser(userId);
    for (const ctx of [...open]) {
      const a = ctx.extra.auth;
      if (a?.kind !== "user" || (userId !== undefined && a.user.id !== userId)) continue;
      const now = await credentials.authenticate(ctx.extra.header, ctx.extra.credential, ctx.extra.ip);
      if (now === INVALID_CREDENTIAL) refuse(ctx, "user disabled or removed");
      else ctx.extra.auth = now;
    }
  };

  void (async () => {
    for await (const e of app.events.subscribe("invalidate")) {
      try {
        if (e.kind === "lab-keys" || e.kind === "catalog") await sweepLabs();
        else if (e.kind === "users") await sweepUsers(e.key);
      } catch (err) {
        logger.warn({ err, kind: e.kind }, "graphql-ws: checking open sockets after a change failed");
      }
    }
  })();

  return {
    async dispose() {
      await transport.dispose();
    },
  };
}
