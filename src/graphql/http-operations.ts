/**
 * The plain GraphQL request over HTTP, run by the center itself: the same document cache, rules,
 * compiled execution and error formatting as graphql-ws (ws.ts), without Apollo's request pipeline.
 *
 * A transport lane. Replaces: Apollo Server's request pipeline for a plain POST
 * (`GRAPHQL_HTTP_LANE=apollo` serves it by Apollo only). Why: `npm run bench:transport` measured
 * 1.4 to 1.7 times the requests per second and half to two thirds of the server's CPU per request
 * for a small query and a quote (docs/benchmarks.md). Proven equal by: `GRAPHQL_HTTP_DIFFERENTIAL=1`
 * (http-differential.ts; CI runs the whole suite with it, in the test and production
 * configurations) and test/graphql/http-operations.test.ts.
 *
 * Apollo's pipeline costs a request about as much as the GraphQL work of a small query: a SHA-256
 * of the query text to find the document, the plugin hooks, the negotiation of the answer's type,
 * the request context it builds. A frontend's quotes and a lab's calls are nearly all the same
 * few documents, valid, with valid variables, and they pay that on every request.
 *
 * So a request is answered here only when nothing about it is unusual, and the answer is the one
 * Apollo would give, byte for byte (test/graphql/http-operations.test.ts compares them):
 * - a body with a non-empty `query`, `variables` an object or absent, `operationName` a string or
 *   absent, `extensions` an object without `persistedQuery` or absent;
 * - an Accept header Apollo answers with JSON (negotiated as Apollo negotiates it);
 * - a document that parses and passes the rules, naming one query or mutation;
 * - a credential that holds (the same context function as Apollo's);
 * - variables that fit their types (a refusal before execution leaves nothing done).
 *
 * Everything else is handed to Apollo unchanged (`null`), before anything was executed, and Apollo
 * words the refusal as it always did. Once executed, the answer is formatted here as Apollo formats
 * it: each error enriched with a code (INTERNAL_SERVER_ERROR if it has none) and an `http`
 * extension taken out into the answer's status and headers, then the center's formatError; the
 * error hooks of the protection plugins see the errors first, as in Apollo; fields in the order
 * errors, data, extensions; the same metrics and log line (observability in server.ts).
 */
import type * as http from "node:http";
import type { Logger } from "pino";
import type { ApolloServerPlugin } from "@apollo/server";
import {
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import Negotiator from "negotiator";
import type { CompiledOperations } from "./compiled-execution";
import type { RequestContext } from "../core/request-context";
import type { DocumentCache } from "./document-cache";
import { recordResult, type Replay } from "./http-differential";

/** The media types Apollo answers a single result with, in its order of preference. */
const JSON_TYPE = "application/json; charset=utf-8";
const SINGLE_RESULT_TYPES = [JSON_TYPE, "application/graphql-response+json; charset=utf-8", "application/json; callbackSpec=1.0; charset=utf-8"];
/** Accept headers remembered with their answer type; clients send a handful of distinct ones. */
const ACCEPT_MEMO_LIMIT = 64;

/** An answer in the shape of Apollo's own (`executeHTTPGraphQLRequest`), written back the same way. */
export interface HttpAnswer {
  status: number;
  headers: Map<string, string>;
  body: { kind: "complete"; string: string };
}

export interface HttpOperationsOptions {
  schema: GraphQLSchema;
  documents: DocumentCache;
  rules: readonly ValidationRule[];
  operations: CompiledOperations;
  /** The request's context, as Apollo gets it; throws for a credential that does not hold. */
  context: (req: http.IncomingMessage, requestId: string) => Promise<RequestContext>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Where an error that cannot even be formatted is logged. */
  logger?: Logger;
  /** Apollo plugins whose `didEncounterErrors` hook must see an operation's errors (the protection's). */
  errorPlugins: readonly ApolloServerPlugin<RequestContext>[];
  /** Keep what was executed with each answer, for Apollo to answer the same request (http-differential.ts). */
  keepReplay?: boolean;
  /** Counts, times and logs an operation answered here, as the observability plugin does for Apollo. */
  record: (context: RequestContext, operation: OperationDefinitionNode, seconds: number, errors: readonly GraphQLError[] | undefined, data: unknown) => void;
}

export interface HttpOperations {
  /** The answer to a POST body already parsed from JSON, or null: Apollo answers this one. */
  answer(req: http.IncomingMessage, body: unknown, requestId: string): Promise<(HttpAnswer & { replay?: Replay }) | null>;
}

interface PlainRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The request if it is one Apollo would take as it is, with nothing for its other paths. */
function plainRequest(body: unknown): PlainRequest | null {
  if (!isRecord(body)) return null;
  const { query, operationName, variables, extensions } = body;
  if (typeof query !== "string" || query === "") return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  if (extensions !== undefined && extensions !== null && (!isRecord(extensions) || extensions.persistedQuery !== undefined)) return null;
  return { query, operationName: operationName ?? undefined, variables: variables ?? undefined };
}

/** An `http` extension as Apollo takes it from an error: a status and/or a header map. */
function httpExtension(x: unknown): { status?: number; headers?: Map<string, string> } | null {
  if (!isRecord(x)) return null;
  if ("status" in x && typeof x.status !== "number") return null;
  if ("headers" in x && !(x.headers instanceof Map)) return null;
  return x as { status?: number; headers?: Map<string, string> };
}

export function httpOperations(opts: HttpOperationsOptions): HttpOperations {
  const acceptMemo = new Map<string, string | null>();

  /** Apollo's choice of answer type for this Accept header; null when Apollo would refuse it (406). */
  const answerType = (accept: string | undefined): string | null => {
    if (!accept) return JSON_TYPE;
    let type = acceptMemo.get(accept);
    if (type === undefined) {
      type = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES) ?? null;
      if (acceptMemo.size < ACCEPT_MEMO_LIMIT) acceptMemo.set(accept, type);
    }
    return type;
  };

  const formatErrors = async (errors: readonly GraphQLError[], head: HttpAnswer, requestId: string): Promise<GraphQLFormattedError[]> => {
    for (const plugin of opts.errorPlugins) {
      // The protection's hooks read only the errors; Apollo's request context is not built here.
      const listener = await plugin.requestDidStart?.({} as never);
      await listener?.didEncounterErrors?.({ errors } as never);
    }
    return errors.map((raw: unknown) => {
      try {
        const error =
          raw instanceof GraphQLError
            ? raw
            : raw instanceof Error
              ? new GraphQLError(raw.message, { originalError: raw })
              : new GraphQLError(`Unexpected error value: ${String(raw)}`);
        // graphql-jit's errors from a resolver that threw carry no extensions object at all.
        const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions?.code ?? "INTERNAL_SERVER_ERROR" };
        const extra = httpExtension(extensions.http);
        if (extra) {
          if (extra.status) head.status = extra.status;
          for (const [name, value] of extra.headers ?? []) head.headers.set(name.toLowerCase(), value);
          delete extensions.http;
        }
        return opts.formatError({ ...error.toJSON(), extensions }, raw);
      } catch (e) {
        // Masked as the formatter would have masked it, and logged: no internal error goes unlogged.
        opts.logger?.error({ err: e, cause: raw, requestId }, "an error of a GraphQL operation could not be formatted");
        return { message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } };
      }
    });
  };

  return {
    async answer(req, body, requestId) {
      const request = plainRequest(body);
      if (request === null) return null;
      const type = answerType(req.headers.accept);
      if (type === null) return null;
      let document: DocumentNode;
      try {
        document = opts.documents.parse(request.query);
      } catch {
        return null;
      }
      if (opts.documents.validate(opts.schema, document, opts.rules).length > 0) return null;
      const operation = getOperationAST(document, request.operationName);
      if (!operation || operation.operation === "subscription") return null;
      let context: RequestContext;
      try {
        context = await opts.context(req, requestId);
      } catch {
        return null;
      }
      const started = process.hrtime.bigint();
      const result: ExecutionResult = await opts.operations.execute(document, operation, request.variables, context);
      // No data: refused before execution (variables that do not fit), so nothing was done.
      if (result.data === undefined) return null;
      const replay: Replay | undefined = opts.keepReplay
        ? {
            operationName: request.operationName,
            type: operation.operation,
            variables: request.variables,
            auth: context.auth,
            context,
            result: recordResult(result),
          }
        : undefined;
      const answer: HttpAnswer & { replay?: Replay } = {
        status: 200,
        headers: new Map([["content-type", type]]),
        body: { kind: "complete", string: "" },
        replay,
      };
      const errors = result.errors && result.errors.length > 0 ? await formatErrors(result.errors, answer, requestId) : undefined;
      answer.body.string = JSON.stringify({ errors, data: result.data, extensions: result.extensions });
      opts.record(context, operation, Number(process.hrtime.bigint() - started) / 1e9, result.errors, result.data);
      return answer;
    },
  };
}
