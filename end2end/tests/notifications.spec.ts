import type { Page } from "@playwright/test";
import { test, expect, open, jsEnabled, registry } from "./fixtures";

// Notifications: a user adds a webhook channel (its signing secret shown once), sends a test
// through it and reads the failed attempt in the channel's log, watches a tag from its page, sees
// the watch listed and deletes it. Runs in both projects (hydrated and no-js): every form is a
// plain POST answered with a redirect, so it works the same without JavaScript.
//
// The webhook's URL is the specs' registry (SHIPSHAPE_ALLOW_HOSTS lets it through): it has no
// /hook route, so it answers the test with a 4xx, which the log shows.

const password = "correct horse battery staple";

/** A name per project and run: letters and digits only. */
const username = (projectName: string) =>
  `e2enotify${projectName === "no-js" ? "nojs" : "hyd"}${Date.now().toString(36)}`;

/** Waits, after a form's redirect, for the next page (and its hydration when JavaScript runs). */
async function settled(page: Page, projectName: string) {
  await page.waitForLoadState();
  if (jsEnabled(projectName)) await page.locator("body[data-hydrated=true]").waitFor();
}

async function signUp(page: Page, user: string, projectName: string) {
  await open(page, "/signup", projectName);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByTestId("signup-submit").click();
  await settled(page, projectName);
  await expect(page.getByTestId("nav-username")).toHaveText(user);
}

test.describe.configure({ mode: "serial" });

test.describe("notifications", () => {
  const channel = "e2e-hook";
  const tagPage = () => `/images/${registry()}/e2e/app:1.1`;

  test("an anonymous visitor is sent to log in, and the tag page offers to", async ({ page }, info) => {
    await page.goto("/account/notifications");
    await expect(page).toHaveURL(/\/login\?next=\/account\/notifications$/);

    await open(page, tagPage(), info.project.name);
    await expect(page.getByTestId("tag-page")).toBeVisible();
    const login = page.getByTestId("watch-login");
    await expect(login).toContainText("Log in to get notified");
    await expect(login.locator("a")).toHaveAttribute("href", /^\/login\?next=/);
    await expect(page.getByTestId("watch-form")).toHaveCount(0);
  });

  test("a webhook channel: secret once, a failed test in the log, a watch from the tag page", async ({ page }, info) => {
    const project = info.project.name;
    await signUp(page, username(project), project);

    // Without a channel, the tag page's panel sends the user to add one.
    await open(page, tagPage(), project);
    await expect(page.getByTestId("watch-no-channel")).toBeVisible();
    await page.getByTestId("watch-add-channel").click();
    await settled(page, project);
    await expect(page).toHaveURL(/\/account\/notifications$/);
    await expect(page.getByTestId("notifications-page")).toBeVisible();
    await expect(page.getByTestId("no-channels")).toBeVisible();
    await expect(page.getByTestId("nav-notifications")).toBeVisible();

    // Add a webhook channel: its signing secret is shown once.
    const form = page.getByTestId("channel-form");
    await form.getByLabel("Name", { exact: true }).fill(channel);
    await page.getByTestId("channel-kind").selectOption("webhook");
    await form.getByLabel("URL", { exact: true }).fill(`http://${registry()}/hook`);
    await page.getByTestId("channel-save").click();
    await settled(page, project);
    await expect(page.getByTestId("form-notice")).toContainText(channel);
    const fresh = page.getByTestId("fresh-secret");
    await expect(fresh).toBeVisible();
    await expect(fresh).toContainText(channel);
    const secret = (await page.getByTestId("fresh-secret-value").textContent())!.trim();
    expect(secret).toMatch(/^whsec_\S{20,}$/);
    if (jsEnabled(project)) await expect(page.getByTestId("copy-secret")).toBeVisible();

    const row = page.locator(`[data-testid=channel-row][data-name="${channel}"]`);
    await expect(row).toBeVisible();
    await expect(row).toContainText(`http://${registry()}/hook`);
    await expect(row.getByTestId("channel-state")).toHaveAttribute("data-state", "active");

    // Gone after a reload, and never in the page again.
    await page.reload();
    await settled(page, project);
    await expect(page.getByTestId("fresh-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    // Send test: the registry has no /hook, so the delivery fails with its 4xx, logged.
    await row.getByTestId("channel-test").click();
    await settled(page, project);
    await expect(page).toHaveURL(/\/account\/notifications\/channels\/\d+/);
    await expect(page.getByTestId("channel-log-page")).toBeVisible();
    await expect(page.getByTestId("channel-name")).toHaveText(channel);
    await expect(page.getByTestId("form-error")).toContainText("not delivered");
    const delivery = page.locator("[data-testid=delivery-row][data-event=test]").first();
    await expect(delivery).toHaveAttribute("data-state", "failed");
    await expect(delivery.getByTestId("attempt-code").first()).toHaveText(/^HTTP 4\d\d$/);
    await expect(delivery.getByTestId("delivery-redeliver")).toBeVisible();
    expect(await page.content()).not.toContain(secret);

    // Watch the tag from its page: tag.updated and base.updated are ticked, the channel too.
    await open(page, tagPage(), project);
    const panel = page.getByTestId("watch-panel");
    await expect(panel).toBeVisible();
    await expect(panel.locator('input[name=events][value="tag.updated"]')).toBeChecked();
    await expect(panel.locator('input[name=events][value="base.updated"]')).toBeChecked();
    await expect(panel.locator('input[name=events][value="tag.created"]')).not.toBeChecked();
    await expect(panel.getByTestId("watch-channel")).toBeChecked();
    await page.getByTestId("watch-submit").click();
    await settled(page, project);

    // Listed on the notifications page, then deleted.
    await expect(page).toHaveURL(/\/account\/notifications\?notice=/);
    await expect(page.getByTestId("form-notice")).toContainText("e2e/app:1.1");
    const watch = page.locator(`[data-testid=watch-row][data-target="${registry()}/e2e/app:1.1"]`);
    await expect(watch).toBeVisible();
    await expect(watch.getByTestId("watch-tags")).toHaveText("1.1");
    await expect(watch.getByTestId("watch-events")).toContainText("tag.updated");
    await expect(watch.getByTestId("watch-events")).toContainText("base.updated");
    await expect(watch).toContainText(channel);

    // Its refresh hook is shown once; a build pipeline's POST to it queues a re-check.
    const hookBox = page.getByTestId("fresh-secret");
    await expect(hookBox).toContainText("refresh hook");
    const hook = (await page.getByTestId("fresh-secret-value").textContent())!.trim();
    expect(hook).toMatch(/\/api\/v1\/hooks\/shk_[0-9a-f]{48}$/);
    expect((await page.request.post(hook)).status()).toBe(202);

    await watch.getByTestId("watch-delete").click();
    await settled(page, project);
    await expect(page.getByTestId("form-notice")).toContainText("deleted");
    await expect(page.locator("[data-testid=watch-row]")).toHaveCount(0);
    await expect(page.getByTestId("no-watches")).toBeVisible();
    // The hook went with the watch.
    expect((await page.request.post(hook)).status()).toBe(404);

    // Deleting the channel empties the table.
    await page.locator(`[data-testid=channel-row][data-name="${channel}"]`).getByTestId("channel-delete").click();
    await settled(page, project);
    await expect(page.getByTestId("no-channels")).toBeVisible();
  });

  test("a refused channel URL says what to do and keeps what was typed", async ({ page }, info) => {
    const project = info.project.name;
    await signUp(page, username(project) + "r", project);
    await open(page, "/account/notifications", project);
    const form = page.getByTestId("channel-form");
    await form.getByLabel("Name", { exact: true }).fill("internal");
    await form.getByLabel("URL", { exact: true }).fill("http://10.0.0.1/hook");
    await page.getByTestId("channel-save").click();
    await settled(page, project);
    await expect(page.getByTestId("form-error")).toContainText("SHIPSHAPE_ALLOW_HOSTS");
    await expect(page.getByTestId("channel-form").getByLabel("Name", { exact: true })).toHaveValue("internal");
    await expect(page.getByTestId("channel-form").getByLabel("URL", { exact: true })).toHaveValue("http://10.0.0.1/hook");
    await expect(page.getByTestId("fresh-secret")).toHaveCount(0);
  });
});
