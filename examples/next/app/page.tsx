import { increment, login, logout } from "./actions";
import { sessions } from "../lib/sessions";

// PostgreSQL needs TCP sockets: the Node.js runtime (the default; said here because it matters).
export const runtime = "nodejs";

export default async function Home() {
  // Reading needs no Server Action: cookies() works while rendering (setting it does not).
  const session = await sessions.get();
  const { user, count = 0 } = session.data;
  return (
    <main>
      <h1>prisma-pg-session + Next.js</h1>
      {user === undefined ? (
        <form id="login" action={login}>
          <p>Not signed in.</p>
          <input name="user" placeholder="Your name" required />
          <button type="submit">Sign in</button>
        </form>
      ) : (
        <>
          <p id="user">
            Signed in as <b>{user}</b>.
          </p>
          <form id="logout" action={logout}>
            <button type="submit">Sign out</button>
          </form>
        </>
      )}
      <form id="increment" action={increment}>
        <p id="count">
          Counter: <b>{count}</b>
        </p>
        <button type="submit">+1</button>
      </form>
    </main>
  );
}
