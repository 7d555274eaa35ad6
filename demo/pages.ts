/** Server-rendered HTML of the demo: no client framework, every value escaped. */
import type { UserSession } from "../src/index.ts";

const escape = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
dt{font-weight:600}dd{margin:0 0 .6rem}form{display:inline-block;margin:.3rem .5rem .3rem 0}
code{background:#f3f3f3;padding:0 .3rem}table{border-collapse:collapse;font-size:14px}
td,th{padding:.2rem .5rem;text-align:left;border-bottom:1px solid #ddd}</style></head>
<body><h1>${escape(title)}</h1>${body}
<p><a href="/">Session</a> · <a href="/sessions">Your sessions</a> · <a href="/counter">No lost updates</a></p></body></html>`;
}

export interface SessionView {
  id: string;
  user: string | undefined;
  visits: number;
  name: string | undefined;
  createdAt: Date;
  expiresAt: Date | undefined;
  storage: string;
}

export function sessionPage(view: SessionView): string {
  return layout(
    "prisma-pg-session demo",
    `<dl>
<dt>Session id</dt><dd><code id="session-id">${escape(view.id.slice(0, 8))}…</code></dd>
<dt>Visits</dt><dd id="visits">${view.visits}</dd>
<dt>Name</dt><dd id="name">${view.name === undefined ? "<em>not set</em>" : escape(view.name)}</dd>
<dt>Created</dt><dd id="created">${escape(view.createdAt.toISOString())}</dd>
<dt>Expires</dt><dd id="expires">${view.expiresAt ? escape(view.expiresAt.toISOString()) : "end of browser session"}</dd>
<dt>Stored in</dt><dd id="storage">${escape(view.storage)}</dd>
</dl>
<form method="post" action="/name"><label>Name <input name="name" id="name-input" maxlength="100" required></label>
<button id="save-name">Save</button></form>
<form method="post" action="/rotate"><button id="rotate">Rotate id</button></form>
<form method="post" action="/logout"><button id="logout">Log out</button></form>
<h2>User</h2>
${
  view.user === undefined
    ? `<p id="user"><em>not logged in</em></p>
<form method="post" action="/login"><label>Log in as <input name="user" id="user-input" maxlength="100" required></label>
<button id="login">Log in</button></form>`
    : `<p>Logged in as <strong id="user">${escape(view.user)}</strong> · <a id="your-sessions" href="/sessions">your sessions</a></p>`
}`,
  );
}

export interface SessionsView {
  user: string;
  sessions: UserSession[];
  /** What the last action did, to show once. */
  notice: string | undefined;
}

const when = (date: Date | null) => (date === null ? "-" : escape(date.toISOString().replace("T", " ").slice(0, 19)));

/** "Your sessions": the user's sessions, a revoke button each, and "log out everywhere else". */
export function sessionsPage(view: SessionsView): string {
  const rows = view.sessions
    .map(
      (s) => `<tr class="session${s.current ? " current" : ""}" data-handle="${escape(s.handle)}">
<td>${s.current ? "<strong>this browser</strong>" : escape(s.userAgent ?? "unknown device")}</td><td>${escape(s.ip ?? "-")}</td>
<td>${when(s.createdAt)}</td><td>${when(s.lastActiveAt)}</td><td>${when(s.expiresAt)}</td>
<td>${
        s.current
          ? ""
          : `<form method="post" action="/sessions/revoke"><input type="hidden" name="handle" value="${escape(s.handle)}"><button class="revoke">Revoke</button></form>`
      }</td></tr>`,
    )
    .join("\n");
  return layout(
    "Your sessions",
    `<p>Signed in as <strong id="user">${escape(view.user)}</strong> in <span id="session-count">${view.sessions.length}</span> session(s).</p>
${view.notice === undefined ? "" : `<p id="notice">${escape(view.notice)}</p>`}
<table><thead><tr><th>Device</th><th>IP</th><th>Created</th><th>Last active</th><th>Expires</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>
<form method="post" action="/sessions/revoke-others"><button id="revoke-others">Log out everywhere else</button></form>`,
  );
}

export function counterPage(): string {
  return layout(
    "No lost updates",
    `<p>Runs many concurrent read-modify-write increments of one counter, twice: through
<code>SessionManager.open</code> (the row is locked for each unit of work) and through a plain
get-then-set, as an express-session store is used. Only the first may end at the number of increments.</p>
<form method="post" action="/counter"><label>Increments <input name="n" type="number" value="50" min="1" max="500"></label>
<button id="run">Run</button></form>`,
  );
}

export function counterResult(n: number, locked: number, naive: number, ms: number): string {
  return layout(
    "No lost updates",
    `<p>${n} concurrent increments in ${ms} ms.</p>
<dl><dt>Locked unit of work (<code>open</code>)</dt><dd id="locked">${locked}</dd>
<dt>Plain get + set</dt><dd id="naive">${naive}</dd></dl>
<p><a href="/counter">Again</a></p>`,
  );
}
