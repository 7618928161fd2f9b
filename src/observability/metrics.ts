/**
 * Prometheus metrics (GET /metrics): operations, latencies, errors by code, open WebSockets, the
 * secrets this process checked by kind, and the database conflicts it retried.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { retryCounts, type RetryCause } from "../db/driver-errors";

export interface Metrics {
  registry: Registry;
  operations: Counter<"operation" | "type" | "transport">;
  latency: Histogram<"operation" | "type" | "transport">;
  errors: Counter<"code">;
  /** GraphQL operations over HTTP by who ran them: "direct" (the center's own runner) or "apollo" (anything unusual). */
  httpLanes: Counter<"lane">;
  /** Requests the center's runner and Apollo answered differently (differential mode only). */
  httpLaneDifferences: Counter;
  wsConnections: Gauge;
  /**
   * Secrets this process checked, by kind: `password` (argon2, a login's), `lab_key_argon2` (a lab
   * key still stored with argon2) and `lab_key_lookup` (a lab key looked up in the database). The
   * slow hashes are what a flood of logins or keys costs, and what the rate limits bound.
   */
  credentialChecks: Counter<"kind">;
  /**
   * Database units (transactions, batches, single statements) this process ran again, by cause:
   * `deadlock` (Galera's certification conflicts among them), `lock_wait_timeout`,
   * `node_not_ready` (a Galera node outside the primary component) and `connection_lost`.
   */
  databaseRetries: Counter<"cause">;
  /** Where `credentialChecks` reads its counts at each scrape (the composition root names it). */
  countCredentialChecks(read: () => CredentialCounts): void;
}

/** The counts `credentialChecks` reports, as the service that checks secrets keeps them. */
export interface CredentialCounts {
  passwords: number;
  labKeyArgon2: number;
  labKeyLookups: number;
}

export function createMetrics(): Metrics {
  // One registry per center (tests run several in one process).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let readChecks: () => CredentialCounts = () => ({ passwords: 0, labKeyArgon2: 0, labKeyLookups: 0 });
  return {
    registry,
    operations: new Counter({
      name: "printmesh_graphql_operations_total",
      help: "GraphQL operations by name, type and transport (http, ws)",
      labelNames: ["operation", "type", "transport"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "printmesh_graphql_operation_seconds",
      help: "GraphQL operation latency by name, type and transport (http, ws)",
      labelNames: ["operation", "type", "transport"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new Counter({
      name: "printmesh_graphql_errors_total",
      help: "GraphQL errors and payload errors by code",
      labelNames: ["code"],
      registers: [registry],
    }),
    httpLanes: new Counter({
      name: "printmesh_graphql_http_requests_total",
      help: "GraphQL operations over HTTP by who ran them: direct (the center's own runner) or apollo (requests Apollo refuses before running an operation are not counted)",
      labelNames: ["lane"],
      registers: [registry],
    }),
    httpLaneDifferences: new Counter({
      name: "printmesh_graphql_http_lane_differences_total",
      help: "Plain HTTP requests the center's own runner and Apollo answered differently (GRAPHQL_HTTP_DIFFERENTIAL=1 only)",
      registers: [registry],
    }),
    wsConnections: new Gauge({ name: "printmesh_websocket_connections", help: "Open graphql-ws connections", registers: [registry] }),
    credentialChecks: new Counter({
      name: "printmesh_credential_checks_total",
      help: "Secrets checked by this process by kind: password (argon2), lab_key_argon2 (a lab key stored with argon2), lab_key_lookup (a lab key looked up in the database)",
      labelNames: ["kind"],
      registers: [registry],
      // Read at each scrape from the counts the checking service keeps, which only grow.
      collect() {
        const counts = readChecks();
        this.reset();
        this.inc({ kind: "password" }, counts.passwords);
        this.inc({ kind: "lab_key_argon2" }, counts.labKeyArgon2);
        this.inc({ kind: "lab_key_lookup" }, counts.labKeyLookups);
      },
    }),
    databaseRetries: new Counter({
      name: "printmesh_db_retries_total",
      help: "Database units run again by this process, by cause: deadlock (Galera certification conflicts too), lock_wait_timeout, node_not_ready, connection_lost",
      labelNames: ["cause"],
      registers: [registry],
      // Read at each scrape from the process's counts (src/db/driver-errors.ts), which only grow.
      collect() {
        this.reset();
        for (const [cause, n] of Object.entries(retryCounts)) this.inc({ cause: cause as RetryCause }, n);
      },
    }),
    countCredentialChecks(read) {
      readChecks = read;
    },
  };
}
