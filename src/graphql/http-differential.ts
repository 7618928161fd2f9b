/**
 * The differential mode of plain HTTP requests (GRAPHQL_HTTP_DIFFERENTIAL=1, for tests and
 * diagnosis): every request the center's own runner answers (http-operations.ts) is answered by
 * Apollo's pipeline too (`executeHTTPGraphQLRequest`), and the two answers' status, content type
 * and body must be the same, byte for byte. A difference is logged with both answers, counted
 * (`printmesh_graphql_http_lane_differences_total`) and answered 500 HTTP_LANE_DIFFERENCE, so no
 * test that meets one can pass.
 *
 * An operation runs once. Apollo's pipeline does everything it always does (CSRF prevention, its
 * own parse and document store, validation with the protection's rules, its own context and so its
 * own authentication, the plugins' hooks, variable handling, error enrichment and formatting, the
 * status and headers taken from errors, content negotiation, serialisation), but when it comes to
 * execute, its executor is handed the result the center's runner got, recorded before the runner
 * formatted it (fresh copies of its errors, which the protection's hook rewrites in place). So a
 * mutation writes once, and answers that hold the time (a quote's, a signed URL's) are the same
 * answer. The executor checks that Apollo would have run the same operation with the same
 * variables for the same caller; anything else is a difference too. One exception: a mutation that
 * ends its own caller's session (a password change) leaves Apollo's authentication, which runs after
 * the execution here, refusing a credential that held when the runner executed; Apollo then goes on
 * with the runner's caller. What is not compared: the
 * execution itself, which is one function (compiled-execution.ts) that both lanes call.
 */
import { isDeepStrictEqual } from "node:util";
import { GraphQLError, type ExecutionResult, type OperationDefinitionNode } from "graphql";
import type { CompiledOperations } from "./compiled-execution";
import type { Auth, RequestContext } from "../core/request-context";

/** On a context Apollo builds for a replayed request: what the center's runner executed. */
export const REPLAY = Symbol("printmesh.httpReplay");

/** What the center's runner executed, kept for Apollo's executor. */
export interface Replay {
  operationName: string | undefined;
  type: OperationDefinitionNode["operation"];
  variables: Record<string, unknown> | undefined;
  auth: Auth;
  /** The runner's context, for a mutation that ended its own caller's session (see viaApollo). */
  context: RequestContext;
  result: ExecutionResult;
  /** Set by the replaying executor: how Apollo's execution would not have been the runner's. */
  mismatch?: string;
  /** Set by the replaying executor: Apollo asked for it (else Apollo refused before executing). */
  replayed?: boolean;
}

/** A copy of the result whose errors are new objects: hooks that rewrite errors do not reach the runner's. */
export function recordResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  const errors = result.errors.map((e) => {
    const copy = new GraphQLError(e.message, {
      path: e.path,
      originalError: e.originalError ?? undefined,
      extensions: e.extensions ? { ...e.extensions } : undefined,
    });
    if (e.locations !== undefined) (copy as { locations?: GraphQLError["locations"] }).locations = e.locations;
    return copy;
  });
  return { ...result, errors };
}

/** The caller, as far as an answer depends on it. */
function callerOf(auth: Auth): string {
  switch (auth.kind) {
    case "anonymous":
      return "anonymous";
    case "user":
      return `user:${auth.user.id}:${auth.user.role}`;
    case "lab":
      return `lab:${auth.labId}:${auth.keyId}`;
  }
}

export function replayOf(context: unknown): Replay | undefined {
  return (context as { [REPLAY]?: Replay } | null)?.[REPLAY];
}

/**
 * `operations` for Apollo's executor: a replayed request gets the runner's recorded result (after
 * checking it is the same operation, variables and caller); any other runs as before.
 */
export function replayingOperations(operations: CompiledOperations): CompiledOperations {
  return {
    get compilations() {
      return operations.compilations;
    },
    execute(document, operation, variables, context) {
      const replay = replayOf(context);
      if (replay === undefined) return operations.execute(document, operation, variables, context);
      replay.replayed = true;
      const faults: string[] = [];
      if (operation.name?.value !== replay.operationName && replay.operationName !== undefined)
        faults.push(`operation ${operation.name?.value} instead of ${replay.operationName}`);
      if (operation.operation !== replay.type) faults.push(`a ${operation.operation} instead of a ${replay.type}`);
      if (!isDeepStrictEqual(variables ?? {}, replay.variables ?? {})) faults.push("other variables");
      const apolloCaller = callerOf((context as RequestContext).auth);
      if (apolloCaller !== callerOf(replay.auth)) faults.push(`caller ${apolloCaller} instead of ${callerOf(replay.auth)}`);
      if (faults.length > 0) replay.mismatch = `Apollo would have executed ${faults.join(", ")}`;
      return replay.result;
    },
  };
}

/** An answer as compared: status, content type and body. */
export interface ComparedAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** Why two answers differ, or null when they are the same. */
export function differenceOf(direct: ComparedAnswer, apollo: ComparedAnswer, replay: Replay): string | null {
  if (replay.mismatch) return replay.mismatch;
  const differs: string[] = [];
  if (direct.status !== apollo.status) differs.push("status");
  if (direct.contentType !== apollo.contentType) differs.push("content-type");
  if (direct.body !== apollo.body) differs.push("body");
  if (differs.length > 0) return `the answers differ in ${differs.join(", ")}`;
  // Apollo answered the same without executing: it would have refused what the runner ran.
  if (!replay.replayed) return "Apollo answered without executing the operation the center's runner executed";
  return null;
}
