-- The table `prisma migrate` creates for bench/prisma/schema.prisma (@quixo3/prisma-session-store's
-- model). Written out because `prisma migrate` needs Prisma's native schema engine, which is not always
-- downloadable (see scripts/generate.mjs).
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "sid" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "Session_sid_key" ON "Session"("sid");
