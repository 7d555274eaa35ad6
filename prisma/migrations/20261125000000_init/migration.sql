-- CreateTable
CREATE TABLE "sessions" (
    "id" CHAR(32) NOT NULL,
    "a_session" TEXT,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
