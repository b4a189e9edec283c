import { test, expect, open, jsEnabled, registry } from "./fixtures";
import { HomePage } from "./pages/home";

test("home page renders with the reference box and the server status", async ({ page }, info) => {
  await open(page, "/", info.project.name);
  const home = new HomePage(page);
  await expect(page).toHaveTitle("Shipshape");
  await expect(page.getByRole("heading", { name: "Explore any container image" })).toBeVisible();
  await expect(home.input).toBeVisible();
  await expect(page.getByTestId("server-status")).toContainText("SQLite");
});

test("the footer counts what is stored, in words, and keeps up with navigation", async ({ page }, info) => {
  const footer = page.getByTestId("server-status");
  const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const stored = async () => {
    const s = await (await page.request.post("/api/status")).json();
    return `${counted(s.repositories, "repository", "repositories")}, ${counted(s.manifests, "manifest", "manifests")} stored`;
  };
  await open(page, "/", info.project.name);
  // The singular for one only: never "1 repositories".
  const many = String.raw`(?:0|[2-9]|\d{2,})`;
  await expect(footer).toHaveText(new RegExp(`· (1 repository|${many} repositories), (1 manifest|${many} manifests) stored$`));
  // Opened from the reference box: a client-side navigation once hydrated, a GET without JavaScript.
  const home = new HomePage(page);
  await home.input.fill(`${registry()}/e2e/app:1.1`);
  await home.submit();
  await expect(page.getByTestId("reference")).toHaveText(`${registry()}/e2e/app:1.1`);
  // Counted after the page's inspection stored the image, not before.
  await expect(footer).toContainText(await stored());
});

test("normalises alpine as you type, and opens a reference's page on submit", async ({ page }, info) => {
  await open(page, "/", info.project.name);
  const home = new HomePage(page);
  if (jsEnabled(info.project.name)) {
    // Validated as you type, before submitting.
    await home.input.fill("alpine");
    await expect(home.normalized).toHaveText("docker.io/library/alpine:latest");
  }
  await home.input.fill(`${registry()}/e2e/app:1.1`);
  await home.submit();
  await expect(page).toHaveURL(new RegExp(`/images/${registry()}/e2e/app:1\\.1$`));
  await expect(page.getByTestId("reference")).toHaveText(`${registry()}/e2e/app:1.1`);
});

test("rejects Alpine:Latest with a reason", async ({ page }, info) => {
  await open(page, "/", info.project.name);
  const home = new HomePage(page);
  await home.input.fill("Alpine:Latest");
  if (jsEnabled(info.project.name)) {
    await expect(home.error).toContainText("must be lowercase");
  }
  await home.submit();
  await expect(home.error).toContainText('repository name "Alpine" must be lowercase');
  await expect(home.normalized).toHaveCount(0);
});

test("a shared link with ?ref= opens the image's page", async ({ page }, info) => {
  await open(page, `/?ref=${registry()}/e2e/app`, info.project.name);
  await expect(page).toHaveURL(new RegExp(`/images/${registry()}/e2e/app:latest$`));
  await expect(page.getByTestId("reference")).toHaveText(`${registry()}/e2e/app:latest`);
});

test("the page loads its wasm bundle, served as application/wasm", async ({ page, request }, info) => {
  await open(page, "/", info.project.name);
  const html = await (await request.get("/")).text();
  const wasm = html.match(/\/pkg\/[\w.-]+\.wasm/)?.[0];
  expect(wasm, "HTML links a wasm bundle").toBeTruthy();
  const response = await request.get(wasm!);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("application/wasm");
  const css = await request.get("/pkg/shipshape.css");
  expect(css.status()).toBe(200);
});

test.describe("unknown pages", () => {
  // Chromium logs the document's own 404 status as a console error.
  test.use({ expectedConsoleErrors: [/status of 404/] });

  test("answer 404 with a way back", async ({ page }, info) => {
    await open(page, "/no/such/page", info.project.name);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await page.getByRole("link", { name: "home page" }).click();
    await expect(page.getByRole("heading", { name: "Explore any container image" })).toBeVisible();
  });

  test("return status 404", async ({ request }) => {
    expect((await request.get("/no/such/page")).status()).toBe(404);
  });
});
