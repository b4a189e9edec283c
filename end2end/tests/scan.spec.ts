import { test, expect, open, jsEnabled, registry } from "./fixtures";

test("the tag page queues a scan and shows its result", async ({ page }, info) => {
  const path = `/images/${registry()}/e2e/root:latest`;
  await open(page, path, info.project.name);
  const state = page.getByTestId("scan-state");
  await expect(state).toBeVisible();
  if (jsEnabled(info.project.name)) {
    // Hydrated, the page asks again every two seconds until the scan is done.
    await expect(state).toHaveAttribute("data-state", "done", { timeout: 20_000 });
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
  await expect(page.getByTestId("scan-message")).toHaveText("none");
  await expect(page.getByTestId("check").and(page.locator('[data-check="root-user"]'))).toContainText("Runs as root");
  await expect(page.getByTestId("sbom-cyclonedx")).toHaveAttribute("href", new RegExp(`/api/v1/sbom/${registry()}/e2e/root:latest\\?format=cyclonedx`));
  const sbom = await page.request.get(`/api/v1/sbom/${registry()}/e2e/root:latest?format=cyclonedx`);
  expect(sbom.status()).toBe(200);
  expect((await sbom.json()).bomFormat).toBe("CycloneDX");
});
