import type { Locator, Page } from "@playwright/test";

export class TagPage {
  readonly reference: Locator;
  readonly layers: Locator;
  readonly layerCommands: Locator;
  readonly labels: Locator;
  readonly config: Locator;
  readonly userBadge: Locator;
  readonly platforms: Locator;
  readonly platform: Locator;
  readonly history: Locator;
  readonly lineage: Locator;
  readonly ancestors: Locator;
  readonly layerOrigins: Locator;

  constructor(readonly page: Page) {
    this.reference = page.getByTestId("reference");
    this.layers = page.getByTestId("layer");
    this.layerCommands = page.getByTestId("layer-command");
    this.labels = page.getByTestId("labels");
    this.config = page.getByTestId("config");
    this.userBadge = page.getByTestId("user-badge");
    this.platforms = page.getByTestId("platforms");
    this.platform = page.getByTestId("platform");
    this.history = page.getByTestId("tag-history");
    this.lineage = page.getByTestId("lineage");
    this.ancestors = page.getByTestId("ancestor");
    this.layerOrigins = page.getByTestId("layer-origin");
  }
}

export class RepositoryPage {
  readonly rows: Locator;
  readonly filter: Locator;

  constructor(readonly page: Page) {
    this.rows = page.getByTestId("tag-row");
    this.filter = page.getByTestId("tag-filter");
  }

  async tagNames() {
    return this.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-tag")));
  }
}
