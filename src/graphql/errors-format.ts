/**
 * What a client sees of an error. Coded errors pass through; input validation errors name the
 * fields; anything else is masked as INTERNAL_SERVER_ERROR, with the details only in the log.
 * With suggestions off (introspection off: production), no message says "Did you mean ...".
 */
import type { GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";

const PUBLIC_CODES = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "RATE_LIMITED",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

interface ClassValidatorError {
  property: string;
  constraints?: Record<string, string>;
  children?: ClassValidatorError[];
}

/** Flattens class-validator's tree into "field.path: message" entries. */
function flatten(errors: ClassValidatorError[], prefix: string[] = []): Array<{ field: string[]; message: string }> {
  const out: Array<{ field: string[]; message: string }> = [];
  for (const e of errors) {
    const field = [...prefix, e.property];
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    out.push(...flatten(e.children ?? [], field));
  }
  return out;
}

/** The error was raised with an HTTP status of 400 to 499 and no code of its own. */
function refusedWith4xx(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null)?.extensions;
  const status = extensions?.http?.status;
  return extensions?.code === undefined && typeof status === "number" && status >= 400 && status < 500;
}

/** What the protection puts in place of a suggestion; the same words, whoever hid it. */
export const SUGGESTION_MASK = "[Suggestion hidden]";
/**
 * graphql-js's suggestions: names of fields, arguments and types, and "the enum value ...". The
 * protection's own hook hides only those that start with a quoted name, and only where it runs.
 */
const SUGGESTION = /Did you mean .+\?/g;

/** The request each error came from, noted where it was produced (the error objects are the keys). */
const requestOfError = new WeakMap<object, string>();

/**
 * Notes the request id of an operation's errors, so that an internal one is logged with it: the
 * formatting hooks (Apollo's formatError among them) are not given the request.
 */
export function noteRequestOfErrors(errors: readonly unknown[] | undefined, requestId: string): void {
  if (!errors) return;
  for (const e of errors) {
    if (typeof e !== "object" || e === null) continue;
    requestOfError.set(e, requestId);
    const original = (e as { originalError?: unknown }).originalError;
    if (typeof original === "object" && original !== null) requestOfError.set(original, requestId);
  }
}

function requestOf(error: unknown, original: unknown): string | undefined {
  for (const e of [error, original]) if (typeof e === "object" && e !== null && requestOfError.has(e)) return requestOfError.get(e);
  return undefined;
}

export function makeFormatError(logger: Logger, opts: { suggestions?: boolean } = {}) {
  const hide =
    opts.suggestions === false
      ? (message: string) => (message.includes("Did you mean") ? message.replace(SUGGESTION, SUGGESTION_MASK) : message)
      : (message: string) => message;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code as string | undefined;
    const validationErrors = formatted.extensions?.validationErrors as ClassValidatorError[] | undefined;
    if (code === "BAD_USER_INPUT" && Array.isArray(validationErrors)) {
      const fields = flatten(validationErrors);
      return {
        message: `Invalid input: ${fields.map((f) => `${f.field.join(".")}: ${f.message}`).join("; ")}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code, fields },
      };
    }
    if (code !== undefined && PUBLIC_CODES.has(code)) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: hide(formatted.message), extensions };
    }
    // A refusal of the request itself that Apollo marks with a 4xx status but no code (a persisted
    // query whose hash is not its query's): the client's fault, said as it is.
    if (code === "INTERNAL_SERVER_ERROR" && refusedWith4xx(error)) {
      return { message: hide(formatted.message), locations: formatted.locations, path: formatted.path, extensions: { code: "BAD_REQUEST" } };
    }
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    // Every internal error is logged, with its stack (pino's err serializer) and the request id.
    logger.error({ err: original, path: formatted.path, requestId: requestOf(error, original) }, "unexpected error in a GraphQL operation");
    return { message: "Internal server error", locations: formatted.locations, path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
