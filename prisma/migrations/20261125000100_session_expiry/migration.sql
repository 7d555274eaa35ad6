-- Expiry for the express-session / fastify adapter (TTL and pruning). Nullable, so an Apache::Session
-- app sharing the table (it names its columns) keeps working; NULL means "does not expire".

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "expires_at" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");
