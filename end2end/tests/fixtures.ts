import { test as base, expect, type Page } from "@playwright/test";

// Every spec fails on a browser console error or an uncaught exception, except the ones a spec
// declares it expects with `test.use({ expectedConsoleErrors: [...] })`.
export const test = base.extend<{ consoleErrors: string[]; expectedConsoleErrors: RegExp[] }>({
  expectedConsoleErrors: [[], { option: true }],
  consoleErrors: [
    async ({ page, expectedConsoleErrors }, use) => {
      const errors: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        if (expectedConsoleErrors.some((pattern) => pattern.test(msg.text()))) return;
        errors.push(`console: ${msg.text()}`);
      });
      page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
      await use(errors);
      expect(errors, "browser console errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export const jsEnabled = (projectName: string) => projectName !== "no-js";

/** Opens a page and, when JavaScript runs, waits until the wasm bundle has hydrated it. */
export async function open(page: Page, path: string, projectName: string) {
  await page.goto(path);
  if (jsEnabled(projectName)) {
    await page.locator("body[data-hydrated=true]").waitFor();
  }
}

/** `127.0.0.1:PORT` of the specs' registry (see playwright.config.ts). */
export const registry = () => process.env.E2E_REGISTRY ?? "127.0.0.1:5123";
