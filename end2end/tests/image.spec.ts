import { test, expect, open, jsEnabled, registry } from "./fixtures";
import { RepositoryPage, TagPage } from "./pages/image";

test("the tag page shows layers, labels, config and the user", async ({ page }, info) => {
  await open(page, `/images/${registry()}/e2e/app:1.1`, info.project.name);
  const tag = new TagPage(page);
  await expect(page).toHaveTitle(`${registry()}/e2e/app:1.1 · Shipshape`);
  await expect(tag.reference).toHaveText(`${registry()}/e2e/app:1.1`);
  await expect(tag.layers).toHaveCount(3);
  await expect(tag.layerCommands).toHaveText([
    "ADD file:5ab1c2 in /",
    "RUN apt-get update && apt-get install -y ca-certificates",
    "COPY server /app/",
  ]);
  await expect(tag.labels).toContainText("org.opencontainers.image.version");
  await expect(tag.labels.getByRole("row", { name: /image\.version/ })).toContainText("1.1");
  await expect(tag.userBadge).toHaveText("10001:10001");
  await expect(tag.userBadge).toHaveAttribute("data-root", "false");
  await expect(page.getByRole("link", { name: "9f8e7d6c5b4a" })).toHaveAttribute(
    "href",
    "https://github.com/example/e2e-app/commit/9f8e7d6c5b4a",
  );
  await expect(tag.config).toContainText("API_TOKEN=•••••• (masked)");
  await expect(tag.config).not.toContainText("not-for-your-eyes");
  await expect(tag.config).toContainText('["/app/server"]');
  await expect(tag.history).toContainText("current");
});

test("an image without USER is flagged as running as root", async ({ page }, info) => {
  await open(page, `/images/${registry()}/e2e/root:latest`, info.project.name);
  const tag = new TagPage(page);
  await expect(tag.userBadge).toHaveText("root (no USER)");
  await expect(tag.userBadge).toHaveAttribute("data-root", "true");
  await expect(page.getByText("No labels.")).toBeVisible();
});

test("the platform switcher shows each platform of an index", async ({ page }, info) => {
  await open(page, `/images/${registry()}/e2e/multi:latest`, info.project.name);
  const tag = new TagPage(page);
  await expect(tag.platforms.getByRole("link")).toHaveText(["linux/amd64", "linux/arm64/v8"]);
  await expect(tag.platform).toHaveAttribute("data-platform", "linux/amd64");
  await tag.platforms.getByRole("link", { name: "linux/arm64/v8" }).click();
  await expect(page).toHaveURL(/\?platform=linux\/arm64\/v8$/);
  await expect(tag.platform).toHaveAttribute("data-platform", "linux/arm64/v8");
  await expect(tag.platforms.getByRole("link", { name: "linux/arm64/v8" })).toHaveAttribute("aria-current", "page");
});

test("the repository page lists tags, sorts by version or name, and filters", async ({ page }, info) => {
  await open(page, `/images/${registry()}/e2e/app`, info.project.name);
  const repo = new RepositoryPage(page);
  await expect(repo.rows).toHaveCount(4);
  expect(await repo.tagNames()).toEqual(["2.0-rc1", "1.1", "1.0", "latest"]);
  const row = page.locator('[data-testid="tag-row"][data-tag="1.1"]');
  await expect(row.locator("td").nth(3)).toHaveText("3");
  await expect(row).toContainText("linux/amd64");
  await expect(row).toContainText("2024-06-01 12:00 UTC");

  await page.getByTestId("tag-sort").getByRole("link", { name: "name" }).click();
  await expect(page).toHaveURL(/\?sort=name$/);
  await expect(repo.rows.first()).toHaveAttribute("data-tag", "1.0");
  expect(await repo.tagNames()).toEqual(["1.0", "1.1", "2.0-rc1", "latest"]);

  await repo.filter.fill("1.");
  if (!jsEnabled(info.project.name)) {
    await repo.filter.press("Enter");
    await expect(page).toHaveURL(/q=1\./);
  }
  await expect(repo.rows).toHaveCount(2);
  expect(await repo.tagNames()).toEqual(["1.0", "1.1"]);

  await repo.rows.first().getByRole("link").click();
  await expect(new TagPage(page).reference).toHaveText(`${registry()}/e2e/app:1.0`);
});

test.describe("error pages", () => {
  // The page itself answers 404 or 403 (as the API does), which the browser logs.
  test.use({ expectedConsoleErrors: [/the server responded with a status of (404|403)/] });

  test("errors say what happened and what to do", async ({ page }, info) => {
    await open(page, `/images/${registry()}/e2e/nothing:1`, info.project.name);
    await expect(page.getByTestId("error-panel")).toContainText("Not found, or private");
    await expect(page.getByTestId("error-panel")).toContainText("was not found, or it is private");

    await open(page, "/images/10.1.2.3:5000/team/app:1", info.project.name);
    await expect(page.getByTestId("error-panel")).toContainText("This registry is not allowed");
    await expect(page.getByTestId("error-panel")).toContainText("SHIPSHAPE_ALLOW_HOSTS=10.1.2.3:5000");
  });
});

test("the tag page draws the base-image chain", async ({ page }, info) => {
  // The base and the runtime are looked at first, so Shipshape knows their layers.
  for (const known of ["e2e/base:12", "e2e/runtime:1"]) {
    await open(page, `/images/${registry()}/${known}`, info.project.name);
    await expect(new TagPage(page).layers.first()).toBeVisible();
  }
  await open(page, `/images/${registry()}/e2e/service:1`, info.project.name);
  const tag = new TagPage(page);
  await expect(tag.lineage).toContainText("adds 1 layer(s)");
  await expect(tag.ancestors).toHaveCount(2);
  await expect(tag.ancestors.nth(0)).toContainText(`${registry()}/e2e/runtime:1`);
  await expect(tag.ancestors.nth(0)).toContainText("+1 layer(s)");
  await expect(tag.ancestors.nth(1)).toContainText(`${registry()}/e2e/base:12`);
  await expect(tag.ancestors.nth(1)).toHaveAttribute("data-moved", "false");
  await expect(tag.layerOrigins).toHaveText([
    `from ${registry()}/e2e/base:12`,
    `from ${registry()}/e2e/runtime:1`,
    "this image",
  ]);
  await tag.ancestors.nth(0).getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/images/${registry()}/e2e/runtime:1$`));
  await expect(tag.ancestors).toHaveCount(1);
});
