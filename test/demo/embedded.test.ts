import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDemoToExit, startDemo } from "../support/demo-process.ts";

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), "pps-embedded-"));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const lockFile = () => join(dataDir, "prisma-pg-session.lock");

test("SIGTERM shuts the embedded database down cleanly; a second start finds it clean", async () => {
  const first = await startDemo({ DEMO_DATA_DIR: dataDir });
  const response = await fetch(first.url);
  expect(response.status).toBe(200);
  // express-session writes the last byte of the body only once the session is saved.
  await response.text();
  const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
  expect(existsSync(lockFile())).toBe(true);
  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
  expect(existsSync(lockFile())).toBe(false);

  const second = await startDemo({ DEMO_DATA_DIR: dataDir });
  try {
    expect(second.output()).not.toMatch(/not closed cleanly/);
    // The session written before the restart is still there.
    const page = await (await fetch(second.url, { headers: { cookie } })).text();
    expect(page).toMatch(/<dd id="visits">2<\/dd>/);
  } finally {
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }
}, 240_000);

test("a second process on the same directory is refused with a clear message, not a hang", async () => {
  const running = await startDemo({ DEMO_DATA_DIR: dataDir });
  try {
    const second = await runDemoToExit({ DEMO_DATA_DIR: dataDir });
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(new RegExp(`in use by process ${running.child.pid}`));
  } finally {
    running.child.kill("SIGTERM");
    await running.exited;
  }
}, 240_000);

test("a crash-left directory is detected, reported and recovered", async () => {
  const crashed = await startDemo({ DEMO_DATA_DIR: dataDir });
  const response = await fetch(crashed.url);
  await response.text(); // the session is saved once the whole body has arrived
  const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
  crashed.child.kill("SIGKILL");
  await crashed.exited;
  expect(existsSync(lockFile())).toBe(true);

  const next = await startDemo({ DEMO_DATA_DIR: dataDir });
  try {
    expect(next.output()).toMatch(new RegExp(`not closed cleanly \\(process ${crashed.child.pid} `));
    const page = await (await fetch(next.url, { headers: { cookie } })).text();
    expect(page).toMatch(/<dd id="visits">2<\/dd>/);
  } finally {
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
  }
}, 240_000);
