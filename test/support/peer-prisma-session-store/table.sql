-- The table `prisma migrate` creates for schema.prisma here (@quixo3/prisma-session-store's model), as
-- bench/prisma/session-store.sql: written out because `prisma migrate` needs Prisma's native schema
-- engine, which cannot be downloaded here. "Session" is replaced by the test's schema-qualified name.
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "sid" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Session_sid_key" ON "Session"("sid");
