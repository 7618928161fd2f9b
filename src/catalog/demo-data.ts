/**
 * Demo data for `npm start`: on an empty embedded database, fixtures/demo-catalog.json is imported
 * and its logins are printed, so a newcomer can log in at once.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { UserEntity } from "../identity/user.entity";
import { importBundle } from "./bundle-import.service";

export const DEMO_CATALOG = path.resolve(__dirname, "../../../fixtures/demo-catalog.json");

export async function loadDemoDataIfEmpty(
  ds: DataSource,
  logger: Logger,
): Promise<{ logins: Array<{ login: string; password: string; role: string }> } | null> {
  const raw = JSON.parse(fs.readFileSync(fs.existsSync(DEMO_CATALOG) ? DEMO_CATALOG : path.resolve("fixtures/demo-catalog.json"), "utf8"));
  const logins = (raw.users as Array<{ login: string; password?: string; role: string }>)
    .filter((u) => typeof u.password === "string")
    .map((u) => ({ login: u.login, password: u.password as string, role: u.role }));
  if ((await ds.getRepository(UserEntity).count()) > 0) return { logins };
  logger.info("empty database: loading the demo catalog");
  const report = await importBundle(ds, raw, {});
  if (!report.ok) throw new Error(`the demo catalog does not import: ${report.faults.map((f) => `${f.path}: ${f.message}`).join("; ")}`);
  return { logins };
}
