import { defineConfig } from "@playwright/test";
import * as path from "node:path";
import * as os from "node:os";
import * as fs from "node:fs";

// The real server and the real agent service, on ports of their own so `make run` can stay up.
const root = path.resolve(__dirname, "..");
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");
const serverPort = Number(process.env.E2E_SERVER_PORT || 3100);
const agentPort = Number(process.env.E2E_AGENT_PORT || 8101);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abetworks-e2e-"));

export const adminEmail = "admin@e2e.abetworks.local";
export const adminPassword = "e2e-admin-password-1";
export const baseURL = `http://127.0.0.1:${serverPort}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      command: `.venv/bin/uvicorn service.main:app --host 127.0.0.1 --port ${agentPort} --log-level warning`,
      cwd: path.join(root, "python-agents"),
      url: `http://127.0.0.1:${agentPort}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { AGENT_SERVICE_SECRET: "e2e-shared-secret-0123456789" },
    },
    {
      command: path.join(targetDir, "debug", "server"),
      cwd: root,
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: {
        DATABASE_URL: `sqlite://${path.join(dataDir, "e2e.sqlite")}?mode=rwc`,
        LEPTOS_SITE_ADDR: `127.0.0.1:${serverPort}`,
        LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
        AGENT_SERVICE_URL: `http://127.0.0.1:${agentPort}`,
        ABETWORKS_DEMO_DATA: "true",
        // Every spec registers its own accounts from 127.0.0.1.
        ABETWORKS_REGISTRATIONS_PER_HOUR: "1000",
        // webhooks.spec.ts points an endpoint at a receiver on loopback and waits for a retry.
        ABETWORKS_WEBHOOK_ALLOW_PRIVATE: "true",
        ABETWORKS_DELIVERY_RETRY_BASE_MS: "500",
        AGENT_SERVICE_SECRET: "e2e-shared-secret-0123456789",
        ABETWORKS_ADMIN_EMAIL: adminEmail,
        ABETWORKS_ADMIN_PASSWORD: adminPassword,
        RUST_LOG: "warn",
      },
    },
  ],
});
