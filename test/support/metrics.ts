/** Figures a center reports on GET /metrics, read as a scraper reads them (with the test token). */
import { METRICS_HEADERS } from "./center";

/** Secrets the center's process checked, by kind (printmesh_credential_checks_total). */
export interface CredentialChecks {
  passwords: number;
  labKeyArgon2: number;
  labKeyLookups: number;
}

/** The center's credential checks so far, from its /metrics. */
export async function credentialChecks(center: { metricsUrl: string | null }): Promise<CredentialChecks> {
  if (!center.metricsUrl) throw new Error("the center serves no metrics");
  const res = await fetch(center.metricsUrl, { headers: METRICS_HEADERS });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  const kind = (name: string): number => {
    const m = new RegExp(`^printmesh_credential_checks_total\\{kind="${name}"\\} (\\d+)$`, "m").exec(text);
    if (!m) throw new Error(`no credential checks of kind ${name} in /metrics`);
    return Number(m[1]);
  };
  return { passwords: kind("password"), labKeyArgon2: kind("lab_key_argon2"), labKeyLookups: kind("lab_key_lookup") };
}
