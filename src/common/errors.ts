/**
 * Errors shared by every domain. Business failures are returned as UserError values in a payload
 * (nothing written); exceptional conditions are thrown as coded GraphQL errors.
 */
import { GraphQLError } from "graphql";

/** A business failure the caller can act on: a stable code, a message, the input field at fault. */
export interface UserErrorData {
  code: string;
  message: string;
  field?: string[] | null;
}

export function userError(code: string, message: string, field?: Array<string | number>): UserErrorData {
  return { code, message, field: field ? field.map(String) : null };
}

/**
 * Thrown inside a transaction to roll it back and answer with these payload errors instead. The
 * mutation wrapper catches it outside the transaction, so nothing written so far is kept.
 */
export class RollbackWithErrors extends Error {
  constructor(readonly errors: UserErrorData[]) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join("; "));
    this.name = "RollbackWithErrors";
  }
}

export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT" | "RATE_LIMITED";

export function codedError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const unauthenticated = (message = "You must be logged in") => codedError("UNAUTHENTICATED", message);
export const forbidden = (message = "You may not do this") => codedError("FORBIDDEN", message);
export const notFound = (message: string) => codedError("NOT_FOUND", message);
export const badInput = (message: string, field?: string[]) => codedError("BAD_USER_INPUT", message, field ? { field } : {});

export { unreachable } from "./unreachable";
