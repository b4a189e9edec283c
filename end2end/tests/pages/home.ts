import type { Locator, Page } from "@playwright/test";

export class HomePage {
  readonly input: Locator;
  readonly normalized: Locator;
  readonly error: Locator;

  constructor(private readonly page: Page) {
    this.input = page.getByLabel("Image reference");
    this.normalized = page.getByTestId("ref-normalized");
    this.error = page.getByTestId("ref-error");
  }

  async submit() {
    await this.page.getByRole("button", { name: "Inspect" }).click();
  }
}
