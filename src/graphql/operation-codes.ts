/**
 * The error codes an operation's answer carries, for metrics and the log: the codes of its GraphQL
 * errors and of the payload errors (`{ errors { code } }`) of its root fields.
 */
import type { GraphQLError, GraphQLFormattedError } from "graphql";

export function errorCodes(result: { data?: Record<string, unknown> | null; errors?: ReadonlyArray<GraphQLError | GraphQLFormattedError> }): string[] {
  const codes: string[] = [];
  for (const e of result.errors ?? []) codes.push(String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
  for (const v of Object.values(result.data ?? {})) {
    const payloadErrors = (v as { errors?: Array<{ code?: string }> } | null)?.errors;
    if (Array.isArray(payloadErrors)) for (const e of payloadErrors) codes.push(String(e.code));
  }
  return codes;
}
