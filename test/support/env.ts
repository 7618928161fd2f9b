/**
 * The NODE_ENV the centers a test starts run under: `production` when the suite itself runs with
 * NODE_ENV=production (CI's MariaDB pass, the configuration users deploy), `test` otherwise.
 * Tests that need the IDE or introspection turn them on explicitly.
 */
export const CENTER_NODE_ENV: "production" | "test" = process.env.NODE_ENV === "production" ? "production" : "test";
