import { sessions } from "../../../lib/sessions";

export const runtime = "nodejs";

// GET /api/session: what the session holds.
export async function GET(): Promise<Response> {
  const session = await sessions.get();
  return Response.json({ isNew: session.isNew, user: session.data.user ?? null, count: session.data.count ?? 0 });
}

// POST /api/session {"user": "ann"}: log in (a new session id, the data kept).
export async function POST(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => ({}))) as { user?: unknown };
  if (typeof body.user !== "string" || body.user === "") return Response.json({ error: "user is required" }, { status: 400 });
  const session = await sessions.get();
  session.rotate();
  session.data.user = body.user;
  await sessions.save(session);
  return Response.json({ user: session.data.user });
}

// DELETE /api/session: log out (the row is deleted and the cookie removed).
export async function DELETE(): Promise<Response> {
  await sessions.destroy();
  return Response.json({ ok: true });
}
