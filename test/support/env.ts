/**
 * The NODE_ENV the centers a test starts run under: `production` when the suite itself runs with
 * NODE_ENV=production (CI's MariaDB pass, the configuration users deploy), `test` otherwise.
 * Tests that need the IDE or introspection turn them on explicitly.
 */
export const CENTER_NODE_ENV: "production" | "test" = process.env.NODE_ENV === "production" ? "production" : "test";

/**
 * GRAPHQL_HTTP_DIFFERENTIAL for the centers a test starts: when the suite runs with it set, each
 * plain HTTP request a center's own runner answers is answered by Apollo too and compared; a
 * difference answers 500 HTTP_LANE_DIFFERENCE and fails the test file when its center stops.
 */
export const CENTER_HTTP_DIFFERENTIAL: string | undefined = process.env.GRAPHQL_HTTP_DIFFERENTIAL;
