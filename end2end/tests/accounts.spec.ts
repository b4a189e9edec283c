import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "@playwright/test";
import { test, expect, open, jsEnabled, registry } from "./fixtures";

// Accounts: sign up, log in and out, the account page, API tokens, registry credentials and the
// repository page's badge token. Like every spec it runs in both projects (playwright.config.ts):
// "hydrated" and "no-js", so every form is submitted once with JavaScript off and once hydrated.
// Each project makes its own user (both share one server and database).
//
// Marks: [server] = the assertion needs the server routes of issue 15 (POST /signup, /login,
// /logout, /account/…, /repositories/badge-token; the real current_user/account/api_tokens/
// saved_registries/repository_badge_token). Unmarked lines need only the pages.
//
// The registry credentials need a basic-auth registry that SHIPSHAPE_ALLOW_HOSTS lets through. The
// e2e harness's registry (e2e-registry) is anonymous, so this spec starts Debian's docker-registry
// with htpasswd on E2E_BASIC_REGISTRY_PORT (default 5125) and copies e2e/root:latest into it as
// e2e/private:latest with skopeo; playwright.config.ts must list `127.0.0.1:5125` in
// SHIPSHAPE_ALLOW_HOSTS next to the anonymous registry.

const password = "correct horse battery staple";
const basicPort = Number(process.env.E2E_BASIC_REGISTRY_PORT ?? 5125);
const basicRegistry = `127.0.0.1:${basicPort}`;
const basicUser = "alice";
const basicPassword = "registry-secret-8d41f2";

class LoginPage {
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  constructor(readonly page: Page) {
    this.username = page.getByLabel("Username");
    this.password = page.getByLabel("Password", { exact: true });
    this.submit = page.getByTestId("login-submit");
  }
}

/** Waits, after a form's redirect, for the next page (and its hydration when JavaScript runs). */
async function settled(page: Page, projectName: string) {
  await page.waitForLoadState();
  if (jsEnabled(projectName)) await page.locator("body[data-hydrated=true]").waitFor();
}

async function logIn(page: Page, user: string, projectName: string, pass = password) {
  await open(page, "/login", projectName);
  const login = new LoginPage(page);
  await login.username.fill(user);
  await login.password.fill(pass);
  await login.submit.click();
  await settled(page, projectName);
}

async function logOut(page: Page, projectName: string) {
  await page.getByTestId("logout").click();
  await settled(page, projectName);
}

/** A name per project and run: letters and digits only. */
const username = (projectName: string) =>
  `e2e${projectName === "no-js" ? "nojs" : "hyd"}${Date.now().toString(36)}`;

test.describe.configure({ mode: "serial" });

test.describe("accounts", () => {
  let user = "";
  let basic: ChildProcess | undefined;

  test.beforeAll(async ({}, info) => {
    user = username(info.project.name);
    basic = await startBasicRegistry();
  });

  test.afterAll(async () => {
    // Gone before the other project's run starts its own on the same port.
    if (basic && basic.exitCode === null) await new Promise((done) => basic!.once("exit", done).kill("SIGTERM"));
  });

  test("a page for signed-in users sends an anonymous visitor to log in", async ({ page }, info) => {
    await page.goto("/account/tokens");
    await expect(page).toHaveURL(/\/login\?next=\/account\/tokens$/);
    await expect(page.getByTestId("login-page")).toBeVisible();
    await expect(page.locator('input[name="next"]')).toHaveValue("/account/tokens");
    await expect(page.getByTestId("nav-login")).toBeVisible();
  });

  test("sign up, log out, a wrong password keeps the username, log in", async ({ page }, info) => {
    const project = info.project.name;
    await open(page, "/signup", project);
    await page.getByLabel("Username").fill(user);
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Confirm password").fill(password);
    await page.getByTestId("signup-submit").click();
    await settled(page, project);
    // [server] signed up and signed in: the nav names the user.
    await expect(page.getByTestId("nav-username")).toHaveText(user);

    await logOut(page, project);
    // [server]
    await expect(page.getByTestId("nav-login")).toBeVisible();

    await logIn(page, user, project, "not the password");
    // [server] the error comes back in ?error=, the username in ?username=.
    await expect(page.getByTestId("form-error")).toBeVisible();
    await expect(new LoginPage(page).username).toHaveValue(user);
    await expect(new LoginPage(page).password).toHaveValue("");

    const login = new LoginPage(page);
    await login.password.fill(password);
    await login.submit.click();
    await settled(page, project);
    // [server]
    await expect(page.getByTestId("nav-username")).toHaveText(user);
  });

  test("the account page shows this browser's session, and ends another one", async ({ page, browser, baseURL }, info) => {
    const project = info.project.name;
    // Another browser signed in as the same user.
    const other = await browser.newContext({ baseURL, javaScriptEnabled: jsEnabled(project) });
    const otherPage = await other.newPage();
    await logIn(otherPage, user, project);

    // Log-in from /login?next=… comes back to the page asked for.
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login\?next=\/account$/);
    await settled(page, project);
    const login = new LoginPage(page);
    await login.username.fill(user);
    await login.password.fill(password);
    await login.submit.click();
    await settled(page, project);
    // [server] redirected to `next`, the account page with both sessions.
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByTestId("signed-in-as")).toContainText(user);
    // Earlier tests' sessions may still be open too: at least this one and the other browser's.
    const rows = page.getByTestId("session-row");
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator("[data-testid=session-row][data-current=true]").getByTestId("this-browser")).toBeVisible();

    const others = page.locator("[data-testid=session-row][data-current=false]");
    while ((await others.count()) > 0) {
      await others.first().getByTestId("end-session").click();
      await settled(page, project);
      // [server]
      await expect(page.getByTestId("form-notice")).toBeVisible();
    }
    await expect(rows).toHaveCount(1);
    await otherPage.goto("/account");
    await expect(otherPage).toHaveURL(/\/login\?next=\/account$/);
    await other.close();
  });

  test("an API token is shown once, listed by its hint, and revoked", async ({ page, playwright, baseURL }, info) => {
    const project = info.project.name;
    await logIn(page, user, project);
    await open(page, "/account/tokens", project);
    await page.getByLabel("Name", { exact: true }).fill("ci-pipeline");
    await page.getByLabel("Scope").selectOption("write");
    await page.getByTestId("token-create").click();
    await settled(page, project);
    // [server] the new token, once.
    const fresh = page.getByTestId("fresh-secret");
    await expect(fresh).toBeVisible();
    await expect(fresh).toContainText("Authorization: Bearer");
    const token = (await page.getByTestId("fresh-secret-value").textContent())!.trim();
    expect(token).toMatch(/^shp_\S{20,}$/);
    if (jsEnabled(project)) {
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
      await page.getByTestId("copy-secret").click();
      await expect(page.getByTestId("copy-secret")).toHaveText("Copied");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    } else {
      // Without JavaScript there is nothing to click: the text is there to select.
      await expect(page.getByTestId("copy-secret")).toBeHidden();
    }
    await page.reload();
    await settled(page, project);
    // [server] gone after a reload; the list shows its name, hint and scope, never the secret.
    await expect(fresh).toHaveCount(0);
    expect(await page.content()).not.toContain(token);
    const row = page.locator('[data-testid=token-row][data-name="ci-pipeline"]');
    await expect(row).toContainText("shp_");
    await expect(row).toContainText("write");
    await expect(row).toContainText("never");

    // [server] the token works on the API as a bearer token (a client without the session cookie),
    // and the list says it was used.
    const api = await playwright.request.newContext({ baseURL });
    const bearer = { headers: { Authorization: `Bearer ${token}` } };
    expect((await api.get("/api/v1/registries", bearer)).status()).toBe(200);
    await page.reload();
    await settled(page, project);
    await expect(row).not.toContainText("never");

    await row.getByTestId("token-revoke").click();
    await settled(page, project);
    // [server]
    await expect(page.getByTestId("form-notice")).toBeVisible();
    await expect(page.locator('[data-testid=token-row][data-name="ci-pipeline"]')).toHaveCount(0);
    expect((await api.get("/api/v1/registries", bearer)).status()).not.toBe(200);
    await api.dispose();
  });

  test("registry credentials are saved and tested, and the password never comes back", async ({ page, playwright, baseURL }, info) => {
    const project = info.project.name;
    await logIn(page, user, project);
    await open(page, "/account/registries", project);
    await expect(page.getByTestId("registry-form").getByLabel("Password or token")).toHaveAttribute("type", "password");
    await page.getByLabel("Registry", { exact: true }).fill(basicRegistry);
    await page.getByTestId("registry-form").getByLabel("Username", { exact: true }).fill(basicUser);
    await page.getByLabel("Password or token").fill(basicPassword);
    await page.getByTestId("registry-save").click();
    await settled(page, project);
    // [server] listed with its username; the password is nowhere in the page or its HTML.
    const row = page.locator(`[data-testid=registry-row][data-registry="${basicRegistry}"]`);
    await expect(row).toContainText(basicUser);
    expect(await page.content()).not.toContain(basicPassword);
    const served = await page.request.get("/account/registries").then((r) => r.text());
    expect(served).toContain(basicRegistry);
    expect(served).not.toContain(basicPassword);

    await row.getByTestId("registry-test-repository").fill("e2e/private");
    await row.getByTestId("registry-test").click();
    await settled(page, project);
    // [server] the credentials read the private repository.
    await expect(page.getByTestId("form-notice")).toBeVisible();
    await expect(row.getByTestId("registry-last-result")).toHaveText("ok");

    // [server] the private image's page: hers to see, and its scan is queued with her credentials
    // (the worker opens them when it runs), not "unavailable".
    await open(page, `/images/${basicRegistry}/e2e/private:latest`, project);
    await expect(page.getByTestId("scan-state")).toHaveAttribute("data-state", /^(queued|running|done)$/);

    // [server] the repository page offers its owner a badge token; the badge shows with it only.
    await open(page, `/images/${basicRegistry}/e2e/private`, project);
    const panel = page.getByTestId("badge-token-panel");
    await expect(panel).toBeVisible();
    await panel.getByTestId("badge-token-submit").click();
    await settled(page, project);
    const url = (await page.getByTestId("badge-token-url").textContent())!.trim();
    expect(url).toMatch(new RegExp(`^/badges/image/${basicRegistry}/e2e/private:latest\\.svg\\?token=`));
    // [server] the badge shows with the token; for everyone else the page and the badge say "not found".
    const anonymous = await playwright.request.newContext({ baseURL });
    const badge = async (href: string) => (await anonymous.get(href)).text();
    expect(await badge(url)).not.toContain("not found");
    const page404 = await anonymous.get(`/images/${basicRegistry}/e2e/private:latest`);
    expect(page404.status()).toBe(404);
    expect(await page404.text()).toContain("was not found, or it is private");
    await page.reload();
    await settled(page, project);
    await expect(page.getByTestId("badge-token-url")).toHaveCount(0);
    await expect(page.getByTestId("badge-token-submit")).toHaveText("Rotate");
    // [server] rotating retires the old token.
    await page.getByTestId("badge-token-submit").click();
    await settled(page, project);
    await expect(page.getByTestId("badge-token-url")).toBeVisible();
    await expect.poll(() => badge(url), { timeout: 40_000 }).toContain("not found");
    await anonymous.dispose();

    await open(page, "/account/registries", project);
    await page.locator(`[data-testid=registry-row][data-registry="${basicRegistry}"]`).getByTestId("registry-delete").click();
    await settled(page, project);
    // [server]
    await expect(page.getByTestId("form-notice")).toBeVisible();
    await expect(page.locator(`[data-testid=registry-row][data-registry="${basicRegistry}"]`)).toHaveCount(0);
  });

  test("a public repository has no badge-token panel", async ({ page }, info) => {
    const project = info.project.name;
    await logIn(page, user, project);
    await open(page, `/images/${registry()}/e2e/app`, project);
    await expect(page.getByTestId("tag-table")).toBeVisible();
    await expect(page.getByTestId("badge-token-panel")).toHaveCount(0);
  });

  test("change the password, then delete the account", async ({ page }, info) => {
    const project = info.project.name;
    const newPassword = `${password} 2`;
    await logIn(page, user, project);
    await open(page, "/account", project);
    const form = page.getByTestId("password-form");
    await form.getByLabel("Current password", { exact: true }).fill("wrong");
    await form.getByLabel("New password", { exact: true }).fill(newPassword);
    await form.getByLabel("Confirm new password").fill(newPassword);
    await page.getByTestId("password-submit").click();
    await settled(page, project);
    // [server]
    await expect(page.getByTestId("form-error")).toBeVisible();

    await form.getByLabel("Current password", { exact: true }).fill(password);
    await form.getByLabel("New password", { exact: true }).fill(newPassword);
    await form.getByLabel("Confirm new password").fill(newPassword);
    await page.getByTestId("password-submit").click();
    await settled(page, project);
    // [server]
    await expect(page.getByTestId("form-notice")).toBeVisible();

    await logOut(page, project);
    await logIn(page, user, project, newPassword);
    // [server]
    await expect(page.getByTestId("nav-username")).toHaveText(user);

    await open(page, "/account", project);
    await expect(page.getByTestId("delete-account")).toContainText("cannot be undone");
    await page.getByTestId("delete-account").getByLabel("Your password, to confirm").fill(newPassword);
    await page.getByTestId("delete-account-submit").click();
    await settled(page, project);
    // [server] gone: back home, anonymous, and the name no longer logs in.
    await expect(page).toHaveURL(/\/(\?notice=.*)?$/);
    await expect(page.getByTestId("nav-login")).toBeVisible();
    await logIn(page, user, project, newPassword);
    await expect(page.getByTestId("form-error")).toBeVisible();
  });
});

/**
 * Debian's docker-registry with htpasswd basic auth on `basicPort`, holding e2e/private:latest
 * (e2e/root:latest of the anonymous e2e registry, copied by skopeo).
 */
async function startBasicRegistry(): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), "shipshape-e2e-basic-"));
  const htpasswd = execFileSync("htpasswd", ["-Bbn", basicUser, basicPassword]).toString();
  writeFileSync(join(dir, "htpasswd"), htpasswd);
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: {level: warn, accesslog: {disabled: true}}",
      `storage: {filesystem: {rootdirectory: ${join(dir, "data")}}, delete: {enabled: true}}`,
      `http: {addr: "${basicRegistry}", secret: e2e-basic}`,
      `auth: {htpasswd: {realm: basic-realm, path: ${join(dir, "htpasswd")}}}`,
      "",
    ].join("\n"),
  );
  const child = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const status = await fetch(`http://${basicRegistry}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (i > 100) throw new Error(`the basic-auth registry did not start on ${basicRegistry}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  execFileSync(
    "skopeo",
    [
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      "--dest-creds",
      `${basicUser}:${basicPassword}`,
      `docker://${registry()}/e2e/root:latest`,
      `docker://${basicRegistry}/e2e/private:latest`,
    ],
    { env: { ...process.env, HOME: dir }, stdio: "pipe" },
  );
  return child;
}
