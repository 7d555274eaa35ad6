import { chromium, type Browser } from "playwright-core";

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

/** A headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium), off the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}
