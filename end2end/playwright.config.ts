import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Every spec runs twice: hydrated, and with JavaScript off (server rendering must work alone).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "shipshape-e2e-"));
// A real docker-registry with the specs' images (server/testkit/src/bin/e2e-registry.rs).
const registryPort = Number(process.env.E2E_REGISTRY_PORT ?? 5123);
process.env.E2E_REGISTRY = `127.0.0.1:${registryPort}`;
const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: chromium,
    screenshot: "only-on-failure",
  },
  projects: [
    { name: "hydrated", use: { javaScriptEnabled: true } },
    { name: "no-js", use: { javaScriptEnabled: false } },
  ],
  webServer: [
    {
      command: process.env.E2E_REGISTRY_BIN ?? "../target/debug/e2e-registry",
      url: `http://127.0.0.1:${registryPort + 1}/ready`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      env: { E2E_REGISTRY_PORT: String(registryPort) },
    },
    {
    command: `${process.env.SHIPSHAPE_BIN ?? "../target/release/shipshape"} serve`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      SHIPSHAPE_LISTEN: `127.0.0.1:${port}`,
      SHIPSHAPE_DATABASE_URL: `sqlite://${join(dataDir, "shipshape.db")}`,
      // The accounts spec starts a basic-auth registry of its own on 5125.
      SHIPSHAPE_ALLOW_HOSTS: `127.0.0.1:${registryPort},127.0.0.1:${process.env.E2E_BASIC_REGISTRY_PORT ?? 5125}`,
      // No background indexing of Docker Hub's official images: the specs have no internet and
      // look at the registry's bases themselves.
      SHIPSHAPE_BASE_IMAGES: "",
      // Advisories come from the specs themselves (vulndb import), never from osv.dev.
      SHIPSHAPE_VULNDB_INTERVAL: "0",
    },
    },
  ],
});
