/**
 * What every resolver and service sees: the application (configuration, database, services, event
 * bus) and, per request, who is calling.
 */
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import type { UserEntity } from "../identity/user.entity";
import type { Services } from "../services";
import type { EventBus } from "./events";

export type Auth =
  | { kind: "anonymous" }
  | { kind: "user"; user: UserEntity }
  | { kind: "lab"; labId: string; shopId: string; keyId: string };

export interface AppContext {
  config: Config;
  ds: DataSource;
  logger: Logger;
  events: EventBus;
  services: Services;
}

export interface RequestContext {
  app: AppContext;
  auth: Auth;
  requestId: string;
  /** The caller's address, for rate limits. */
  ip: string;
  /** Per-request memo (DataLoaders and the like), never shared between requests. */
  memo: Map<string, unknown>;
}

export function requestContext(app: AppContext, auth: Auth, requestId: string, ip: string): RequestContext {
  return { app, auth, requestId, ip, memo: new Map() };
}

/** The context of work the center does on its own behalf (imports, timers): acts as nobody. */
export function systemContext(app: AppContext, requestId = "system"): RequestContext {
  return requestContext(app, { kind: "anonymous" }, requestId, "local");
}
