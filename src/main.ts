/**
 * The center's entry point: configuration -> database (migrations) -> demo data -> server, and a
 * graceful stop on SIGTERM/SIGINT.
 */
import "reflect-metadata";
import { ConfigError, loadConfig, redact } from "./config";
import { openDatabase } from "./entities";
import { ensureDatabase } from "./db/ensure-database";
import { createLogger } from "./observability/logger";
import { createServer } from "./server";
import { loadDemoDataIfEmpty } from "./catalog/demo-data";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`printmesh: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ database: redact(config.database.url), timeZone: config.businessTimeZone }, "starting the center");
  if (await ensureDatabase(config.database)) logger.info("created the database");
  const ds = await openDatabase(config.database);
  const demo = config.demoData ? await loadDemoDataIfEmpty(ds, logger) : null;
  if (demo && config.env === "production") logger.warn("DEMO_DATA=1 in production: the demo catalog's published logins and lab keys work on this center");
  const server = await createServer(config, { ds, logger });

  const lines = [`Printmesh center ready at ${server.url}/graphql`];
  if (config.ide) lines.push(`  GraphQL IDE:  open ${server.url}/graphql in a browser`);
  lines.push(`  reorders:     ${server.url}/reorder (the customers' reorder terminal)`);
  lines.push(`  health:       ${server.url}/healthz   readiness: ${server.url}/readyz   metrics: ${server.metricsUrl ?? "off (METRICS_TOKEN, METRICS_PORT)"}`);
  if (demo && config.env !== "production") {
    lines.push("  demo logins (from fixtures/demo-catalog.json):");
    for (const u of demo.logins) lines.push(`    ${u.role.padEnd(17)} ${u.login} / ${u.password}`);
  } else if (demo) {
    // Never a password on a production console: logs are collected and kept.
    lines.push("  demo data: fixtures/demo-catalog.json (DEMO_DATA=1); its logins are in that file");
  }
  process.stdout.write(lines.join("\n") + "\n");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: draining HTTP and WebSocket connections");
    const force = setTimeout(() => {
      logger.error("graceful stop took too long; exiting");
      process.exit(1);
    }, 15000);
    force.unref();
    await server.stop();
    await ds.destroy();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((e) => {
  // The database URL may carry a password: only its redacted form may be shown.
  process.stderr.write(`printmesh: failed to start: ${redact(e instanceof Error ? e.message : String(e))}\n`);
  process.exit(1);
});
