/** Server-rendered HTML of the demo: no client framework, every value escaped. */
const escape = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
dt{font-weight:600}dd{margin:0 0 .6rem}form{display:inline-block;margin:.3rem .5rem .3rem 0}
code{background:#f3f3f3;padding:0 .3rem}</style></head>
<body><h1>${escape(title)}</h1>${body}
<p><a href="/">Session</a> · <a href="/counter">No lost updates</a></p></body></html>`;
}

export interface SessionView {
  id: string;
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
<form method="post" action="/logout"><button id="logout">Log out</button></form>`,
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
