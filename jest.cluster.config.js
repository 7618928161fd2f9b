// Plain JS on purpose: jest reads it without a TypeScript loader.
// `npm run test:cluster`: the fault test on a real cluster (three Galera nodes, Redis with
// Sentinels, three centers behind HAProxy; bench/cluster/harness.ts). It runs on its own, one file
// at a time: the cluster takes the machine's ports and much of its CPU.
const base = require("./jest.config.js");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/cluster"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 10 * 60 * 1000,
  maxWorkers: 1,
  // The harness stops every process it started; a client's socket left open must not hold CI.
  forceExit: true,
};
