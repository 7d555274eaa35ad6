-- A session's user and activity, for listing and revoking a user's sessions, and for the absolute
-- timeout. Every column is nullable: rows written by Apache::Session (it names its columns) and by
-- earlier versions keep working; NULL means "not known" (no user, creation time unknown).

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "user_id" TEXT,
ADD COLUMN     "created_at" TIMESTAMPTZ(6),
ADD COLUMN     "last_active_at" TIMESTAMPTZ(6),
ADD COLUMN     "user_agent" TEXT,
ADD COLUMN     "ip" TEXT;

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE INDEX "sessions_created_at_idx" ON "sessions"("created_at");
