import { test, expect, open, jsEnabled, registry } from "./fixtures";

const badgeUrl = (kind: string, query = "") => `/badges/${kind}/${registry()}/e2e/app:1.1.svg${query}`;

test("the badge builder previews a badge and gives Markdown, HTML and the URL", async ({ page, baseURL }, info) => {
  await open(page, `/images/${registry()}/e2e/app:1.1`, info.project.name);
  const builder = page.getByTestId("badge-builder");
  const preview = builder.getByTestId("badge-preview");
  await expect(preview).toHaveAttribute("src", badgeUrl("image"));
  // The preview is a real image (the badge rendered from stored facts), not a broken one.
  await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(50);
  const pageUrl = `${baseURL}/images/${registry()}/e2e/app:1.1`;
  await expect(builder.getByTestId("badge-markdown")).toHaveValue(`[![image](${baseURL}${badgeUrl("image")})](${pageUrl})`);
  await expect(builder.getByTestId("badge-url")).toHaveValue(`${baseURL}${badgeUrl("image")}`);

  await builder.getByTestId("badge-kind").selectOption("user");
  await builder.getByTestId("badge-style").selectOption("for-the-badge");
  if (!jsEnabled(info.project.name)) {
    // Without JavaScript the pickers are a form: "Show" reloads the page with the choice.
    await builder.getByRole("button", { name: "Show" }).click();
    await expect(page).toHaveURL(/badge=user&badge_style=for-the-badge/);
  }
  const chosen = badgeUrl("user", "?style=for-the-badge");
  await expect(page.getByTestId("badge-preview")).toHaveAttribute("src", chosen);
  await expect(page.getByTestId("badge-html")).toHaveValue(`<a href="${pageUrl}"><img src="${baseURL}${chosen}" alt="user"></a>`);

  if (jsEnabled(info.project.name)) {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByTestId("badge-builder").getByRole("button", { name: "Copy" }).first().click();
    await expect(page.getByTestId("badge-builder").getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`[![user](${baseURL}${chosen})](${pageUrl})`);
  }
});

test("a badge with a 60-character label is drawn without clipping in the browser's own font", async ({ page }) => {
  for (const label of ["W".repeat(60), "m".repeat(60), "Shipshape ships shapely images: 0123456789 ÄÖÜ àéî ЖЩЯ ok"]) {
    for (const style of ["flat", "for-the-badge"]) {
      await page.goto(badgeUrl("image", `?label=${encodeURIComponent(label)}&style=${style}`));
      // Each text's natural width in Chromium (textLength removed) against its box and against
      // the width Shipshape computed from its font table.
      const measured = await page.evaluate(() => {
        const svg = document.querySelector("svg")!;
        const rects = [...svg.querySelectorAll("g > rect")].filter((r) => r.getAttribute("fill")?.startsWith("#"));
        const texts = [...svg.querySelectorAll("text:not([aria-hidden])")] as SVGTextElement[];
        return texts.map((t, i) => {
          const computed = Number(t.getAttribute("textLength"));
          t.removeAttribute("textLength");
          return { text: t.textContent, natural: t.getComputedTextLength(), computed, box: Number(rects[i].getAttribute("width")) };
        });
      });
      expect(measured[0].text?.toLowerCase()).toBe(label.toLowerCase());
      for (const m of measured) {
        expect(m.natural, `${style} "${m.text}" fits its box`).toBeLessThanOrEqual(m.box);
        expect(Math.abs(m.natural - m.computed) / m.computed, `${style} "${m.text}" measured as the browser draws it`).toBeLessThan(0.03);
      }
    }
  }
});
