/**
 * One HTTP server on one port: Apollo Server at /graphql (POST, and GET for queries), graphql-ws on
 * the same path (src/graphql/ws.ts), the admins' IDE on GET /graphql from a browser, health, readiness and metrics.
 * `createServer` is what main.ts and the end-to-end tests both boot.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import express from "express";
import { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, type OperationDefinitionNode } from "graphql";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "./config";
import { openDatabase } from "./entities";
import { closeBatches } from "./db/statement-batch";
import { requestContext, systemContext, type AppContext, type RequestContext } from "./core/request-context";
import { makeFormatError } from "./graphql/errors-format";
import { errorCodes } from "./graphql/operation-codes";
import { compiledExecution, compiledOperations } from "./graphql/compiled-execution";
import { expressErrors, graphqlHttp, requestIdOf } from "./graphql/http-transport";
import { corsGate } from "./graphql/cors";
import { createEventBus } from "./core/events";
import { watchCacheVersions } from "./db/cache-versions";
import { appSchema } from "./graphql/schema";
import { DocumentCache } from "./graphql/document-cache";
import { httpOperations } from "./graphql/http-operations";
import { replayingOperations, replayOf } from "./graphql/http-differential";
import { startWsServer } from "./graphql/ws";
import { INVALID_CREDENTIAL } from "./core/credentials";
import { mountIde } from "./ide/ide";
import { mountImageRoutes } from "./images/images.routes";
import { mountShootUploadRoutes } from "./shoots/shoot-uploads.routes";
import { mountPaymentWebhook } from "./payments/payment-webhook.routes";
import { mountGatewayTestMode } from "./payments/gateway-test-mode.routes";
import { mountReorderTerminal } from "./reorder-terminal/reorder-terminal";
import { startFtpIngest } from "./shoots/ftp-ingest";
import { createLogger } from "./observability/logger";
import { createMetrics, type Metrics } from "./observability/metrics";
import { answerMetrics, startMetricsListener } from "./observability/metrics-endpoint";
import { createResolvers, createServices, type Services } from "./services";

export interface RunningServer {
  url: string;
  port: number;
  app: AppContext;
  /** The center's services, as the composition root made them (for tests and benchmarks). */
  services: Services;
  metrics: Metrics;
  /** Where GET /metrics is served (METRICS_PORT, METRICS_TOKEN), or null when it is off. */
  metricsUrl: string | null;
  /** The FTP ingest's control port (FTP_PORT), or null when it is off. */
  ftpPort: number | null;
  stop(): Promise<void>;
}

/** The largest GraphQL request accepted, over HTTP (JSON body) and over graphql-ws (one message). */
const BODY_LIMIT_BYTES = 1024 * 1024;

export async function createServer(config: Config, opts: { ds?: DataSource; logger?: Logger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const ds = opts.ds ?? (await openDatabase(config.database));
  const events = createEventBus(config.redis, { database: config.database, logger });
  const app: AppContext = { config, ds, logger, events };
  const services = createServices(app);
  const resolvers = createResolvers(services);
  const identity = services.identity;
  // Another process's committed change (the catalog import, a center the bus does not reach) drops
  // the caches here within about a second; the baseline is read before any cache is filled.
  const versions = await watchCacheVersions(ds, (kind) => events.invalidateLocally({ kind }), logger);
  const metrics = createMetrics();
  metrics.countCredentialChecks(() => identity.checks);
  const schema = await appSchema();
  // Queries and mutations run compiled, over HTTP and over the socket alike.
  const operations = compiledOperations(schema);

  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    costLimit: { maxCost: config.limits.maxCost },
    // The token limit is the parser's own (parseOptions below): the protection's plugin parses again
    // in a hook, where a syntax error became a 500 instead of Apollo's 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    maxDirectives: { n: 50 },
    // Suggestions ("did you mean ...") leak the schema when introspection is off.
    blockFieldSuggestion: { enabled: !config.introspection },
  });
  const protection = armor.protect();

  const expressApp = express();
  expressApp.disable("x-powered-by");
  // POST /graphql with a JSON body goes straight to Apollo (graphql/http-transport.ts); the rest to Express.
  let graphqlPost: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | null = null;
  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (graphqlPost?.(req, res)) return;
    expressApp(req, res);
  };
  // CORS_ORIGINS: preflights answered and allowances added before either lane sees the request.
  const cors = corsGate(config.corsOrigins);
  const httpServer = http.createServer(cors ? (req, res) => cors(req, res, () => serve(req, res)) : serve);

  // Apollo's rules: it refuses introspection when it is off, and so do the center's own runners.
  const rules = [...specifiedRules, ...protection.validationRules, ...(config.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const documents = new DocumentCache({ maxEntries: 1000, maxChars: 4 * 1024 * 1024, maxTokens: config.limits.maxTokens });

  // graphql-ws on the same path as HTTP GraphQL: subscriptions, and the lab daemons' operations.
  // Suggestions go with introspection: they would tell the schema it hides.
  const formatError = makeFormatError(logger, { suggestions: config.introspection });
  const ws = startWsServer({
    app,
    credentials: identity,
    resolvers,
    schema,
    httpServer,
    rules,
    metrics,
    logger,
    formatError,
    maxPayload: BODY_LIMIT_BYTES,
    documents,
    operations,
  });

  const drainWs: ApolloServerPlugin<RequestContext> = {
    async serverWillStart() {
      return {
        async drainServer() {
          await ws.dispose();
        },
      };
    },
  };

  const apollo = new ApolloServer<RequestContext>({
    // In differential mode Apollo answers the runner's requests too, replaying what the runner executed.
    gateway: compiledExecution(schema, config.httpDifferential ? replayingOperations(operations) : operations),
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops everything in order; Apollo's own handlers would race it.
    stopOnTerminationSignals: false,
    validationRules: protection.validationRules,
    parseOptions: { maxTokens: config.limits.maxTokens },
    formatError,
    // Compact JSON: Apollo's default indents every answer, which costs CPU and bytes on every request.
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      drainWs,
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are used; the plugin would only add work to every field.
      ApolloServerPluginCacheControlDisabled(),
      observabilityPlugin(logger, metrics),
      ...(protection.plugins as ApolloServerPlugin<RequestContext>[]),
    ],
  });
  await apollo.start();

  /** A GraphQL request's context: its caller (401 for a credential that is not valid), id and address. */
  const graphqlContext = async (req: http.IncomingMessage, requestId: string, ip?: string): Promise<RequestContext> => {
    const address = ip ?? req.socket.remoteAddress ?? "unknown";
    const auth = await identity.authenticate(req.headers.authorization, undefined, address);
    if (auth === INVALID_CREDENTIAL) {
      throw new GraphQLError("The bearer token or lab key is not valid (expired, revoked or disabled)", {
        extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
      });
    }
    return requestContext(app, auth, requestId, address, resolvers);
  };

  expressApp.use((req, res, next) => {
    const id = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", id);
    res.locals.requestId = id;
    next();
  });
  expressApp.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  /** When a readiness probe last found Redis answering (null: not since start). */
  let redisAnsweredAt: number | null = null;
  expressApp.get("/readyz", async (_req, res) => {
    try {
      await ds.query("SELECT 1");
    } catch (e) {
      logger.warn({ err: e }, "readiness check failed");
      res.status(503).json({ status: "unavailable", reason: "database does not answer" });
      return;
    }
    // With REDIS_URL, jobs rung through another process reach this one only over Redis.
    const bus = await events.ready();
    if (!bus.ready) {
      // The event bus logs the outage itself, once; a probe every few seconds would repeat it.
      logger.debug({ reason: bus.reason }, "readiness check failed: event bus");
      // Away for a moment after answering (a failover, which takes Redis from every center at
      // once): still ready, within REDIS_READY_GRACE_SECONDS of the last probe it answered.
      const awayMs = redisAnsweredAt === null ? Infinity : Date.now() - redisAnsweredAt;
      if (awayMs < config.redisReadyGraceSeconds * 1000) {
        res.json({ status: "ready", warning: `redis does not answer (ready for ${config.redisReadyGraceSeconds} s after it last answered)` });
        return;
      }
      res.status(503).json({ status: "unavailable", reason: "redis does not answer" });
      return;
    }
    redisAnsweredAt = Date.now();
    res.json({ status: "ready" });
  });
  // Off the public port with METRICS_PORT, and in production unless METRICS_TOKEN guards it: 404.
  if (config.metrics.onPublicPort) expressApp.get("/metrics", (req, res) => answerMetrics(config.metrics, metrics, req, res));
  mountImageRoutes(expressApp, app, { images: () => services.images, authenticate: (header, memo, ip) => identity.authenticate(header, memo, ip) });
  mountShootUploadRoutes(expressApp, app, { devices: services.captureDevices, ingest: services.shootIngest });
  mountPaymentWebhook(expressApp, app, { gateway: services.payments.gateway, handle: (ctx, event) => services.reorderSettlement.gatewayEvent(ctx, event) });
  // PAYMENT_TEST_MODE (refused in production): the center completes a gateway payment through its own webhook.
  if (config.paymentTestMode && config.paymentWebhookSecret !== null) {
    mountGatewayTestMode(expressApp, app, {
      secret: config.paymentWebhookSecret,
      authenticate: (header, memo, ip) => identity.authenticate(header, memo, ip),
      payable: (ctx, orderId) => services.reorderSettlement.pendingGatewayPayment(ctx, orderId),
      selfUrl: () => url,
    });
  }
  // The customers' reorder terminal page (every asset served here).
  mountReorderTerminal(expressApp, {
    gateway: services.payments.gateway.available(),
    testMode: config.paymentTestMode,
  });
  if (config.ide) mountIde(expressApp, { endpoint: "/graphql" });
  expressApp.use(
    "/graphql",
    express.json({ limit: BODY_LIMIT_BYTES }),
    expressMiddleware(apollo, { context: ({ req, res }) => graphqlContext(req, String(res.locals.requestId), req.ip) }),
  );
  expressApp.use(expressErrors(logger, BODY_LIMIT_BYTES));
  const direct = httpOperations({
    schema,
    documents,
    rules,
    operations,
    context: graphqlContext,
    formatError,
    logger,
    errorPlugins: protection.plugins as ApolloServerPlugin<RequestContext>[],
    keepReplay: config.httpDifferential,
    record: (context, operation, seconds, errors, data) => {
      metrics.httpLanes.inc({ lane: "direct" });
      recordHttpOperation(logger, metrics, context.requestId, operation, seconds, errors, data);
    },
  });
  const differential = config.httpDifferential
    ? {
        differs(requestId: string, why: string, direct: unknown, apollo: unknown) {
          metrics.httpLaneDifferences.inc();
          logger.error({ requestId, why, direct, apollo }, "the center's HTTP lane and Apollo answered differently");
        },
      }
    : undefined;
  if (differential) logger.warn("GRAPHQL_HTTP_DIFFERENTIAL is on: every plain HTTP request is answered twice and compared (for tests, not for serving)");
  // GRAPHQL_HTTP_LANE=apollo: Apollo's pipeline answers every plain POST too (to compare the lanes).
  const lane = config.httpLane === "center" ? direct : undefined;
  graphqlPost = graphqlHttp({ apollo, path: "/graphql", bodyLimit: BODY_LIMIT_BYTES, context: graphqlContext, logger, direct: lane, differential });

  // Known once listening; read only by requests, which come after.
  let url = "";
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const hostForUrl = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  url = `http://${hostForUrl}:${port}`;
  const metricsListener = config.metrics.port !== null ? await startMetricsListener(config.metrics, metrics) : null;
  const metricsUrl = metricsListener?.url ?? (config.metrics.onPublicPort ? `${url}/metrics` : null);
  // FTP_PORT: capture devices send files by FTP too (src/shoots/ftp-ingest.ts).
  const ftp = config.ftp ? await startFtpIngest(app, config.ftp, { devices: services.captureDevices, ingest: services.shootIngest }) : null;
  const sweeper = services.printJobLifecycle.startSweeper(app); // requeues jobs whose lease ran out
  const pruner = services.labReports.startLoadPruner(app); // deletes load reports older than LAB_LOAD_RETENTION_DAYS
  // Reports payments left PENDING past PAYMENT_RECONCILE_MINUTES (once each), asking their provider first.
  const reconciler = services.payments.startReconciliation(systemContext(app, "payments-reconcile"), services.reorderSettlement);
  const retention = services.shootRetention.start(app); // removes shoot images after SHOOT_RETENTION_DAYS

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      await Promise.all([sweeper.stop(), pruner.stop(), retention.stop(), versions.stop(), reconciler.stop()]);
      await apollo.stop(); // drains HTTP and WebSocket, then stops Apollo
      await ftp?.close();
      await metricsListener?.close();
      await events.close();
      await services.rateLimits.close();
      await closeBatches(ds);
      if (!opts.ds && ds.isInitialized) await ds.destroy();
    })();
    return stopped;
  };
  return { url, port, app, services, metrics, metricsUrl, ftpPort: ftp?.port ?? null, stop };
}

/** An HTTP operation counted, timed and logged (one line), whoever answered it. */
function recordHttpOperation(
  logger: Logger,
  metrics: Metrics,
  requestId: string,
  operation: OperationDefinitionNode | undefined | null,
  seconds: number,
  errors: readonly GraphQLError[] | undefined,
  data: unknown,
): void {
  // The root field names the operation in metrics: bounded by the schema, unlike client-chosen names.
  const sel = operation?.selectionSet.selections[0];
  const name = sel && sel.kind === "Field" ? sel.name.value : "unknown";
  const type = operation?.operation ?? "unknown";
  metrics.operations.inc({ operation: name, type, transport: "http" });
  metrics.latency.observe({ operation: name, type, transport: "http" }, seconds);
  const codes = errorCodes({ errors, data: data as Record<string, unknown> | null | undefined });
  for (const code of codes) metrics.errors.inc({ code });
  logger.info({ requestId, operation: name, type, transport: "http", ms: Math.round(seconds * 1000), codes: codes.length ? codes : undefined }, "graphql");
}

/** What Apollo answers: counted, timed and logged as the center's own runner does it. */
function observabilityPlugin(logger: Logger, metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      // Apollo's answer to a request the runner answered (differential mode) is compared, not counted.
      if (replayOf(contextValue) !== undefined) return;
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, response, errors }) {
          metrics.httpLanes.inc({ lane: "apollo" });
          const data = response.body.kind === "single" ? response.body.singleResult.data : undefined;
          recordHttpOperation(logger, metrics, contextValue.requestId, operation, Number(process.hrtime.bigint() - started) / 1e9, errors, data);
        },
      };
    },
  };
}
