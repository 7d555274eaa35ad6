// The library is imported from the repository's sources (tsconfig.json maps `prisma-pg-session/next`
// to ../../src/adapters/next/index.ts), so the bundler's root is the repository: Turbopack compiles only
// files under its root, and `next start`'s file tracing starts there too. An app that installs the
// package from npm needs none of this.
import { fileURLToPath } from "node:url";

const repository = fileURLToPath(new URL("../..", import.meta.url));

/** @type {import("next").NextConfig} */
const config = {
  turbopack: { root: repository },
  outputFileTracingRoot: repository,
};

export default config;
