import { test, expect, request as playwrightRequest, type APIRequestContext } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminEmail, adminPassword, memberPassword } from "./support/customer";

// No page crashes when the agent service is down. This test starts its own agent service and
// server (so stopping the service does not disturb the other tests), licenses a member, stops
// the agent service, and walks the customer pages.

const root = path.resolve(__dirname, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");
const agentPort = Number(process.env.E2E_DOWN_AGENT_PORT || 8111);
const serverPort = Number(process.env.E2E_DOWN_SERVER_PORT || 3111);
const base = `http://127.0.0.1:${serverPort}`;
const secret = "e2e-down-secret-0123456789";

function start(command: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  // Its own process group, so the service's worker processes stop with it.
  return spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: "ignore" });
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitFor(url: string, timeoutMs: number) {
  const ctx = await playwrightRequest.newContext();
  await expect
    .poll(async () => (await ctx.get(url).catch(() => null))?.status() ?? 0, { timeout: timeoutMs, intervals: [500] })
    .toBe(200);
  await ctx.dispose();
}

let agents: ChildProcess | undefined;
let server: ChildProcess | undefined;

test.afterAll(() => {
  stop(agents, "SIGKILL");
  stop(server);
});

test("every customer page still works, and a run says so, when the agent service is down", async ({ browser }) => {
  test.setTimeout(180_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abetworks-down-"));
  agents = start(
    path.join(root, "python-agents", ".venv", "bin", "uvicorn"),
    ["service.main:app", "--host", "127.0.0.1", "--port", String(agentPort), "--log-level", "warning"],
    path.join(root, "python-agents"),
    { AGENT_SERVICE_SECRET: secret },
  );
  await waitFor(`http://127.0.0.1:${agentPort}/health`, 60_000);
  server = start(path.join(targetDir, "debug", "server"), [], root, {
    DATABASE_URL: `sqlite://${path.join(dataDir, "down.sqlite")}?mode=rwc`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${serverPort}`,
    LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
    AGENT_SERVICE_URL: `http://127.0.0.1:${agentPort}`,
    AGENT_SERVICE_SECRET: secret,
    // Publishes the agents it syncs, as the main e2e server does.
    ABETWORKS_DEMO_DATA: "true",
    ABETWORKS_ADMIN_EMAIL: adminEmail,
    ABETWORKS_ADMIN_PASSWORD: adminPassword,
    RUST_LOG: "error",
  });
  await waitFor(`${base}/healthz`, 60_000);

  const api = async (): Promise<APIRequestContext> =>
    playwrightRequest.newContext({ baseURL: base, extraHTTPHeaders: { Origin: base } });
  const admin = await api();
  expect((await admin.post("/api/auth/login", { data: { email: adminEmail, password: adminPassword } })).status()).toBe(200);
  let sentimentId = "";
  await expect
    .poll(async () => {
      const items: { id: string; slug: string }[] = (await (await admin.get("/api/marketplace/agents")).json()).items ?? [];
      sentimentId = items.find((a) => a.slug === "sentiment")?.id ?? "";
      return sentimentId;
    }, { timeout: 60_000 })
    .not.toBe("");

  // A member licensed for 3 calls, with one success before the outage.
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // The refused run's 503 is logged by Chromium as a failed resource load; anything else counts.
    if (m.type() === "error" && !/status of 5\d\d/.test(m.text())) errors.push(m.text());
  });
  const member = { email: `down-${Date.now()}@e2e.abetworks.local`, password: memberPassword, name: "Dana Down" };
  expect((await page.request.post("/api/auth/register", { data: member, headers: { Origin: base } })).status()).toBe(201);
  const asked = await page.request.post("/api/marketplace/request-access", {
    data: { agentId: sentimentId, requestReason: "outage drill" },
    headers: { Origin: base },
  });
  expect(asked.status()).toBe(201);
  const requestId = (await asked.json()).id;
  expect((await admin.post(`/api/admin/access-requests/${requestId}/approve`, { data: { apiCallLimit: 3 } })).status()).toBe(200);

  // The outage: the service dies.
  stop(agents, "SIGKILL");
  await expect
    .poll(async () => (await admin.get(`http://127.0.0.1:${agentPort}/health`).catch(() => null))?.status() ?? 0)
    .toBe(0);

  for (const route of ["/marketplace", "/my-agents", "/my-requests", "/account", `/agents/${sentimentId}/run`]) {
    const response = await page.goto(route);
    expect(response?.status(), route).toBe(200);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
    await expect(page.getByTestId("error")).toHaveCount(0);
  }
  await expect(page.getByTestId("remaining")).toHaveText("3 calls remaining");
  await page.getByLabel("Text", { exact: true }).fill("Is anyone there?");
  await page.getByTestId("run-button").click();
  const failure = page.getByTestId("run-error");
  await expect(failure).toHaveAttribute("data-code", "AGENT_UNAVAILABLE", { timeout: 30_000 });
  await expect(failure).toContainText("not counted");
  await expect(failure).toContainText("reference");
  await expect(page.getByTestId("remaining")).toHaveText("3 calls remaining");
  await expect(page.locator('[data-testid="history-row"][data-status="failed"]')).toHaveCount(1);
  expect(errors).toEqual([]);
  await context.close();
  await admin.dispose();
});
