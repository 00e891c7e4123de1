// The one Chromium launch of the browser checks (check_pages.mjs, trainer_tools.mjs, handouts.mjs),
// Debian's Chromium (no browser download), headless, offline.
import { chromium } from "playwright-core";

export async function launchChromium(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    // Playwright gives every launch a fresh, empty profile (--user-data-dir).
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      // A second lock on the network: no host name resolves, even if a request escaped a page's route.
      "--host-resolver-rules=MAP * ~NOTFOUND",
    ],
  });
}

// Every page is read offline: requests under the book's folder (and data:/blob: URLs) go
// through; anything else is recorded in `external` and refused.
export async function keepOffline(tab, rootUrl, external) {
  await tab.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(rootUrl) || url.startsWith("data:") || url.startsWith("blob:")) { return route.continue(); }
    external.push(url);
    return route.abort("blockedbyclient");
  });
}
