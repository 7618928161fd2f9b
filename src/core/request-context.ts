/**
 * What every resolver and service sees: the application (configuration, database, logger, event
 * bus) and, per request, who is calling. Services are not reached through it: each gets its
 * collaborators as constructor arguments in the composition root (src/services.ts).
 */
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { EventBus } from "./events";

/**
 * The signed-in person's record, named by the identity domain through declaration merging
 * (`declare module` in identity/user.entity.ts), so that the core imports no domain.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CallerRecords {}
export type CallerRecord = CallerRecords extends { user: infer U } ? U : never;

export type Auth = { kind: "anonymous" } | { kind: "user"; user: CallerRecord } | { kind: "lab"; labId: string; shopId: string; keyId: string };

export interface AppContext {
  config: Config;
  ds: DataSource;
  logger: Logger;
  events: EventBus;
}

/**
 * The resolver instances of one center, handed to the schema (built once per process) per request:
 * type-graphql's container asks it for the instance of each resolver class.
 */
export interface ResolverInstances {
  get<T>(cls: abstract new (...args: never[]) => T): T;
}

/** The context of work that runs no GraphQL (timers, imports, tests): asking it for a resolver is a bug. */
const noResolvers: ResolverInstances = {
  get(cls) {
    throw new Error(`${cls.name}: this context runs no GraphQL, so it has no resolvers`);
  },
};

export interface RequestContext {
  app: AppContext;
  auth: Auth;
  requestId: string;
  /** The caller's address, for rate limits. */
  ip: string;
  /** Per-request memo (DataLoaders and the like), never shared between requests. */
  memo: Map<string, unknown>;
  /** The center's resolvers, for the schema's container (GraphQL requests only). */
  resolvers: ResolverInstances;
}

export function requestContext(app: AppContext, auth: Auth, requestId: string, ip: string, resolvers: ResolverInstances = noResolvers): RequestContext {
  return { app, auth, requestId, ip, memo: new Map(), resolvers };
}

/** The context of work the center does on its own behalf (imports, timers): acts as nobody. */
export function systemContext(app: AppContext, requestId = "system"): RequestContext {
  return requestContext(app, { kind: "anonymous" }, requestId, "local");
}
