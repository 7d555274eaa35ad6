/** Jest 30 in ESM mode (superjson 2 is ESM-only) with ts-jest; type checking is `tsc`'s job (npm test runs it first). */
const esmTypeScript = {
  testEnvironment: "node",
  setupFilesAfterEnv: ["<rootDir>/test/support/equality.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
};

export default {
  // This run's database (created, migrated, dropped): shared by both projects.
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 30_000,
  projects: [
    {
      ...esmTypeScript,
      displayName: "postgres",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
    },
    {
      // The store, the lifecycle API (row locks) and the adapters again, through PgBouncer in
      // transaction pooling mode (started for this project only; see pgbouncer-global-setup.ts).
      ...esmTypeScript,
      displayName: "pgbouncer",
      testMatch: ["<rootDir>/test/{store,lifecycle,adapters,coalescer}/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/pgbouncer-global-setup.ts",
      globalTeardown: "<rootDir>/test/support/pgbouncer-global-teardown.ts",
      setupFiles: ["<rootDir>/test/support/pgbouncer-env.ts"],
    },
  ],
};
