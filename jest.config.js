// Plain JS on purpose: jest reads it without a TypeScript loader.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The cluster's fault test runs on its own (`npm run test:cluster`, jest.cluster.config.js).
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/cluster/"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { ignoreCodes: [151002] } }],
  },
  setupFiles: ["reflect-metadata"],
  globalSetup: "<rootDir>/test/global-setup.js",
  testTimeout: 60000,
  // Each worker gets its own database (see test/support/database.ts); two workers fit the machine.
  maxWorkers: 2,
};
