"use server";
// Server Actions: the forms of the page post here (with JavaScript, or without it as plain forms).
// Setting the cookie in an action makes Next.js render the page again with it, in the same response.
import { sessions } from "../lib/sessions";

export async function login(form: FormData): Promise<void> {
  const user = String(form.get("user") ?? "").trim();
  if (user === "") return;
  const session = await sessions.get();
  session.rotate(); // a new id at login: the session-fixation defence
  session.data.user = user;
  await sessions.save(session);
}

export async function increment(): Promise<void> {
  // Row-locked: two tabs clicking at once both count.
  await sessions.lock((session) => {
    session.data.count = (session.data.count ?? 0) + 1;
  });
}

export async function logout(): Promise<void> {
  await sessions.destroy();
}
