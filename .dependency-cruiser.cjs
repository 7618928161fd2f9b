// The import rules that keep the layout true (see the architecture notes in the README).
// `npm run lint:deps` fails on any violation: there is no list of accepted ones.

/** Folders below or beside the domains: everything else directly under src/ is a domain folder. */
const NOT_DOMAIN = ["core", "db", "graphql", "common", "observability", "ide", "reorder-terminal", "lab-daemon", "app"];
const DOMAIN = `^src/(?!(?:${NOT_DOMAIN.join("|")})/)([^/]+)/`;

/**
 * Pure modules: no database, no GraphQL, no network or file I/O, so they can be tested with plain
 * tables of cases, shared by any domain and by the lab daemon.
 */
const PURE = [
  "^src/pricing/(price-calculator|price-rows|price-tiers|copyright-fees|money)[.]ts$",
  "^src/pricing/business-date[.]ts$",
  "^src/assignment/lab-ranking[.]ts$",
  "^src/orders/order-state[.]ts$",
  "^src/dispatch/[^/]+-state[.]ts$",
  "^src/payments/payment-state[.]ts$",
  "^src/shipping/shipment-state[.]ts$",
  "^src/catalog/fulfilment[.]ts$",
  "^src/catalog/print-sizes[.]ts$",
  "^src/identity/role[.]ts$",
  "^src/common/unreachable[.]ts$",
];

/**
 * What a domain publishes beyond its service, for every other domain: identity's scope checks of a
 * caller (every domain's authorization asks them) and its secret hashing (lab keys and bundle
 * imports hash as logins do); pricing's price write locks (a bundle import takes them as every price
 * write does).
 */
const PUBLISHED = ["^src/identity/scope[.]ts$", "^src/identity/passwords[.]ts$", "^src/pricing/price-lock[.]ts$"];

/** What a pure module may not import: drivers, ORM, GraphQL, and Node's file and network modules. */
const IO = [
  "^node_modules/(typeorm|mysql2|better-sqlite3|ioredis|graphql|type-graphql|express|ws|graphql-ws|sharp|argon2)/",
  "^(node:)?(fs|fs/promises|net|http|https|http2|dgram|tls|child_process|worker_threads)$",
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles: a cycle means two modules cannot be understood or tested apart.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "core-imports-no-domain",
      severity: "error",
      comment: "src/core (request context, unit of work, outbox, errors) sits below every domain and the transports.",
      from: { path: "^src/core/" },
      to: { path: [DOMAIN, "^src/graphql/", "^src/(server|services|main)[.]ts$", "^src/app/"] },
    },
    {
      name: "db-imports-no-domain",
      severity: "error",
      comment: "src/db (data source, transactions, engine helpers, migrations) knows no domain and no transport.",
      from: { path: "^src/db/" },
      to: { path: [DOMAIN, "^src/graphql/", "^src/(server|services|main)[.]ts$", "^src/app/"] },
    },
    {
      name: "shared-imports-no-domain",
      severity: "error",
      comment: "Shared helpers (src/common, src/observability) are used by domains and import none of them.",
      from: { path: "^src/(common|observability)/" },
      to: { path: [DOMAIN, "^src/graphql/", "^src/(server|services|main)[.]ts$", "^src/app/"] },
    },
    {
      name: "transport-imports-no-domain-service",
      severity: "error",
      comment: "src/graphql is transports and schema plumbing: it reaches domains through resolvers, never a service.",
      from: { path: "^src/graphql/" },
      to: { path: `${DOMAIN}.*[.]service[.]ts$` },
    },
    {
      name: "pure-imports-no-io",
      severity: "error",
      comment: "A pure module imports no database driver, ORM, GraphQL, Redis, or file and network module.",
      from: { path: PURE },
      to: { path: IO },
    },
    {
      name: "pure-imports-only-pure",
      severity: "error",
      comment: "A pure module imports only other pure modules of the project, so no I/O arrives indirectly.",
      from: { path: PURE },
      to: { path: "^src/", pathNot: PURE },
    },
    {
      name: "domain-through-public-surface",
      severity: "error",
      comment:
        "A domain reaches another only through its service, entities (for typing), types and inputs, or its pure " +
        "modules; never through its rows, stores, resolvers or other internals.",
      from: { path: DOMAIN, pathNot: "^src/dispatch/print-job-store[.][a-z]+[.]ts$" },
      to: {
        path: DOMAIN,
        pathNot: ["^src/$1/", "[.](service|entity|types|input)[.]ts$", ...PURE, ...PUBLISHED],
      },
    },
    {
      name: "dispatch-store-moves-orders-with-their-sql",
      severity: "error",
      comment:
        "The dispatch stores move a print job and its order in one statement (one round trip); the order's SQL " +
        "comes from the orders' own rows module, and from nowhere else outside orders.",
      from: { path: "^src/dispatch/print-job-store[.][a-z]+[.]ts$" },
      to: {
        path: DOMAIN,
        pathNot: ["^src/dispatch/", "^src/orders/order[.]rows[.]ts$", "[.](service|entity|types|input)[.]ts$", ...PURE, ...PUBLISHED],
      },
    },
    {
      name: "lab-daemon-imports-only-pure",
      severity: "error",
      comment: "The lab daemon talks to the center only through the public API; it shares only pure modules.",
      from: { path: "^src/lab-daemon/" },
      to: { path: "^src/", pathNot: ["^src/lab-daemon/", ...PURE] },
    },
    {
      name: "center-imports-no-lab-daemon",
      severity: "error",
      comment: "The center does not depend on the lab daemon; the daemon is a separate program.",
      from: { path: "^src/", pathNot: "^src/lab-daemon/" },
      to: { path: "^src/lab-daemon/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "Every import resolves (a missing module or a typo in a path).",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "not-to-dev-dep",
      severity: "error",
      comment: "Code under src/ ships: it imports no devDependency.",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: they tie modules together for the reader and for the compiler.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["main", "types", "typings"],
    },
    reporterOptions: {
      dot: {
        collapsePattern: "^(src/[^/]+|node_modules/(@[^/]+/)?[^/]+)",
      },
      text: { highlightFocused: true },
    },
  },
};
