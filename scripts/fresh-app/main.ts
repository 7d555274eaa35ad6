// A fresh app on the packed package (run by scripts/prisma-matrix.sh): its own generated Prisma client
// from the package's schema, its own @prisma/client and @prisma/adapter-pg, nothing linked from the repo.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import { SessionManager } from "prisma-pg-session";
import { PgSessionStore } from "prisma-pg-session/express";
import { Prisma, PrismaClient } from "./generated/prisma/client.ts";

const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env["DATABASE_URL"] }) });
try {
  // The express-session store on the app's PrismaClient (coalesced statements).
  const store = new PgSessionStore({ prisma, pruneSessionInterval: false });
  const sid = randomBytes(16).toString("hex");
  await store.set(sid, { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, user: "ann" });
  const [read, missing] = await Promise.all([store.get(sid), store.get(randomBytes(16).toString("hex"))]);
  assert.equal(read?.["user"], "ann");
  assert.equal(missing, null);

  // The lifecycle API in the app's interactive transactions; a Decimal comes back as one Prisma accepts
  // (not `instanceof Prisma.Decimal`: Prisma's runtime require()s the ESM package's CommonJS twin).
  const sessions = new SessionManager({ prisma });
  const { id } = await sessions.create({ price: new Prisma.Decimal("19.99") });
  await sessions.open(id, async (session) => {
    assert.ok(Prisma.Decimal.isDecimal(session.data["price"]));
    session.data["seen"] = true;
  });
  const { data } = await sessions.read(id);
  assert.ok(Prisma.Decimal.isDecimal(data["price"]) && data["price"].equals("19.99") && data["seen"] === true);

  // The model the package's schema gave the app.
  assert.equal(await prisma.session.count({ where: { id: { in: [sid, id] } } }), 2);
  console.log(`fresh app ok on @prisma/client ${Prisma.prismaVersion.client}`);
} finally {
  await prisma.$disconnect();
}
