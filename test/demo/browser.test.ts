import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { startDemo, type DemoProcess } from "../support/demo-process.ts";

// Debian's Chromium, driven by playwright-core: no browser is downloaded. The flags keep it off the
// network (this machine has none) and let it run as root in a container.
const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let dataDir: string;
let demo: DemoProcess;
let browser: Browser;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pps-demo-"));
  demo = await startDemo({ DEMO_DATA_DIR: dataDir });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
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
