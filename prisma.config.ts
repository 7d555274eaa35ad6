import { defineConfig } from "prisma/config";

// `prisma generate` needs no database, so the URL is read leniently: an unset DATABASE_URL must not
// break `npm install`. `prisma migrate deploy` does need it and says so itself.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
