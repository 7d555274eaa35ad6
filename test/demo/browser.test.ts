import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/chromium.ts";
import { startDemo, type DemoProcess } from "../support/demo-process.ts";

let dataDir: string;
let demo: DemoProcess;
let browser: Browser;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pps-demo-"));
  demo = await startDemo({ DEMO_DATA_DIR: dataDir });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  demo?.child.kill("SIGTERM");
  await demo?.exited;
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

test("the demo in a real browser: set a name, reload and keep it, rotate, log out for a new session", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(demo.url);
  const firstId = await page.textContent("#session-id");
  expect(await page.textContent("#visits")).toBe("1");
  expect(await page.textContent("#storage")).toContain("embedded database");

  await page.fill("#name-input", "Ada <Lovelace>");
  await Promise.all([page.waitForURL(demo.url), page.click("#save-name")]);
  expect(await page.textContent("#name")).toBe("Ada <Lovelace>");

  await page.reload();
  expect(await page.textContent("#name")).toBe("Ada <Lovelace>");
  expect(await page.textContent("#session-id")).toBe(firstId);
  expect(Number(await page.textContent("#visits"))).toBeGreaterThanOrEqual(3);

  await Promise.all([page.waitForURL(demo.url), page.click("#rotate")]);
  const rotatedId = await page.textContent("#session-id");
  expect(rotatedId).not.toBe(firstId);
  expect(await page.textContent("#name")).toBe("Ada <Lovelace>");

  await Promise.all([page.waitForURL(demo.url), page.click("#logout")]);
  expect(await page.textContent("#session-id")).not.toBe(rotatedId);
  expect(await page.textContent("#visits")).toBe("1");
  expect(await page.locator("#name em").textContent()).toBe("not set");
}, 120_000);

test("the no-lost-updates page: the locked counter ends at n", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${demo.url}counter`);
  await page.fill("input[name=n]", "40");
  await Promise.all([page.waitForURL(`${demo.url}counter`), page.click("#run")]);
  expect(await page.textContent("#locked")).toBe("40");
  expect(Number(await page.textContent("#naive"))).toBeLessThanOrEqual(40);
}, 120_000);

test("your sessions: three browsers of one user; one revoked from another, then 'log out everywhere else'", async () => {
  const open = async (userAgent: string) => (await browser.newContext({ userAgent })).newPage();
  const [laptop, phone, tablet] = await Promise.all([open("Laptop/1.0"), open("Phone/2.0"), open("Tablet/3.0")]);
  for (const page of [laptop, phone, tablet]) {
    await page.goto(demo.url);
    expect(await page.locator("#user em").textContent()).toBe("not logged in");
    await page.fill("#user-input", "Grace <Hopper>");
    await Promise.all([page.waitForURL(demo.url), page.click("#login")]);
    expect(await page.textContent("#user")).toBe("Grace <Hopper>");
  }

  await Promise.all([laptop.waitForURL(`${demo.url}sessions`), laptop.click("#your-sessions")]);
  expect(await laptop.textContent("#session-count")).toBe("3");
  const rows = laptop.locator("tr.session");
  expect(await rows.count()).toBe(3);
  expect(await laptop.locator("tr.session.current").textContent()).toContain("this browser");
  expect(await laptop.locator("tr.session.current button.revoke").count()).toBe(0);
  // Each row: a handle (not the session id the cookie carries), the device and the address.
  const cookie = (await laptop.context().cookies()).find((c) => c.name === "demo.sid")!;
  const laptopSid = /^s%3A([^.]+)\./.exec(cookie.value)![1]!;
  for (let i = 0; i < 3; i++) {
    const handle = await rows.nth(i).getAttribute("data-handle");
    expect(handle).toMatch(/^[0-9a-f]{32}$/);
    expect(handle).not.toBe(laptopSid);
  }
  expect(await laptop.locator("tr.session", { hasText: "Phone/2.0" }).textContent()).toMatch(/127\.0\.0\.1/);

  // Revoke the phone's session: the phone is logged out on its next request, the others are not.
  await Promise.all([
    laptop.waitForURL(`${demo.url}sessions`),
    laptop.locator("tr.session", { hasText: "Phone/2.0" }).locator("button.revoke").click(),
  ]);
  expect(await laptop.textContent("#notice")).toBe("Session revoked.");
  expect(await laptop.textContent("#session-count")).toBe("2");
  expect(await laptop.locator("tr.session", { hasText: "Phone/2.0" }).count()).toBe(0);
  await phone.reload();
  expect(await phone.locator("#user em").textContent()).toBe("not logged in");
  await tablet.reload();
  expect(await tablet.textContent("#user")).toBe("Grace <Hopper>");

  // Log out everywhere else: the tablet goes, the laptop stays.
  await Promise.all([laptop.waitForURL(`${demo.url}sessions`), laptop.click("#revoke-others")]);
  expect(await laptop.textContent("#notice")).toBe("Logged out of 1 other session(s).");
  expect(await laptop.textContent("#session-count")).toBe("1");
  await tablet.reload();
  expect(await tablet.locator("#user em").textContent()).toBe("not logged in");
  await laptop.goto(demo.url);
  expect(await laptop.textContent("#user")).toBe("Grace <Hopper>");
}, 120_000);
