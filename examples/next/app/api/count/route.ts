import { sessions } from "../../../lib/sessions";

export const runtime = "nodejs";

// POST /api/count: +1 under the session's row lock, so concurrent requests of one user all count.
export async function POST(): Promise<Response> {
  const count = await sessions.lock((session) => (session.data.count = (session.data.count ?? 0) + 1));
  return Response.json({ count });
}
