/**
 * What the transports (HTTP, WebSocket, image routes) need to know of who is calling, without
 * knowing the identity domain: a function from a request's credential to its caller, given to them
 * by the composition root.
 */
import type { Auth } from "./request-context";

/** A credential that was presented but is not valid: the request is refused, never downgraded. */
export const INVALID_CREDENTIAL = Symbol("invalid-credential");

/**
 * What one connection's credential was parsed to: a socket presents the same header with every
 * operation, so it is parsed (and a lab key hashed) once per socket, not once per operation.
 * Give the same (initially empty) object with every call for that connection.
 */
export interface CredentialMemo {
  parsed?: { header: string; credential: string; jwt: boolean; digest: string | null };
}

/**
 * The caller of an `Authorization` header (`Bearer <token or lab key>`): anonymous without one,
 * INVALID_CREDENTIAL for one that does not verify. `ip` counts bad lab keys per address.
 */
export type Authenticate = (header: string | undefined | null, memo?: CredentialMemo, ip?: string) => Promise<Auth | typeof INVALID_CREDENTIAL>;

/** What the WebSocket transport asks of identity: callers, and whether sockets' credentials still hold. */
export interface Credentials {
  authenticate: Authenticate;
  /** Of these lab key ids, those still valid (unrevoked, lab enabled). */
  validLabKeys(keyIds: readonly string[]): Promise<ReadonlyMap<string, unknown>>;
  /** Drop a user (or every user, without an id) from the caches, so that they are read again. */
  forgetUser(userId?: string): void;
}
