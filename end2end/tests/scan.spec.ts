import { test, expect, jsEnabled, registry } from "./fixtures";

test("the tag page queues a scan and shows its result", async ({ page }, info) => {
  // Hydrated, the spec opens an image no other spec opens, so its first view finds the scan queued.
  const image = jsEnabled(info.project.name) ? "e2e/live:1" : "e2e/root:latest";
  const path = `/images/${registry()}/${image}`;
  const streams: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/v1/scan-events/")) streams.push(r.url());
  });
  const served = await page.goto(path).then((r) => r!.text());
  const initial = served.match(/data-state="(\w+)"/)?.[1];
  const state = page.getByTestId("scan-state");
  await expect(state).toBeVisible();
  if (jsEnabled(info.project.name)) {
    await page.locator("body[data-hydrated=true]").waitFor();
    // The page follows the running scan over server-sent events, with no reload, until it is done.
    await expect(state).toHaveAttribute("data-state", "done", { timeout: 20_000 });
    if (initial === "queued" || initial === "running") {
      expect(streams.map((u) => new URL(u).pathname)).toEqual([`/api/v1/scan-events/${registry()}/${image}`]);
    } else {
      // A retried run finds the scan done already: nothing to follow.
      expect(initial).toBe("done");
      expect(streams).toEqual([]);
    }
  } else {
    // Without JavaScript, reloading shows the progress and then the result.
    await expect
      .poll(
        async () => {
          await page.goto(path);
          return page.getByTestId("scan-state").getAttribute("data-state");
        },
        { timeout: 20_000, intervals: [500] },
      )
      .toBe("done");
  }
  // The specs import no advisories: the packages were never matched, so nothing says "none".
  await expect(page.getByTestId("scan-message")).toHaveText("not checked");
  await expect(page.getByTestId("vulndb-missing")).toContainText("shipshape vulndb sync");
  await expect(page.getByTestId("severity-chart")).toHaveCount(0);
  // The package list is a link away (a client-side navigation once hydrated, a GET without JavaScript).
  await page.getByTestId("show-packages").click();
  await expect(page).toHaveURL(/\?packages=all$/);
  if (image === "e2e/live:1") {
    await expect(page.getByTestId("package")).toHaveCount(3);
    await page.getByTestId("package-filter").filter({ hasText: "npm 2" }).click();
    await expect(page).toHaveURL(/\?packages=npm$/);
    await expect(page.getByTestId("package")).toHaveCount(2);
    await expect(page.getByTestId("package").first()).toHaveAttribute("data-ecosystem", "npm");
  } else {
    await expect(page.getByTestId("packages-none")).toContainText("No packages");
  }
  await expect(page.getByTestId("check").and(page.locator('[data-check="root-user"]'))).toContainText("Runs as root");
  await expect(page.getByTestId("sbom-cyclonedx")).toHaveAttribute("href", new RegExp(`/api/v1/sbom/${registry()}/${image}\\?format=cyclonedx`));
  const sbom = await page.request.get(`/api/v1/sbom/${registry()}/${image}?format=cyclonedx`);
  expect(sbom.status()).toBe(200);
  expect((await sbom.json()).bomFormat).toBe("CycloneDX");
});
