import { test, expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  adminApi,
  adminEmail,
  adminPassword,
  approveRequest,
  browserErrors,
  catalog,
  memberPassword,
  open,
  origin,
  registerOnPage,
} from "./support/customer";

// Live notifications, issue 15: the bell counts what arrives without a reload, the
// notification centre links to what it is about and marks it read, and the super admin sees
// a new critical error appear in the errors tab as it is logged (the tab's fallback poll is a
// minute; every wait here is far shorter).

/** Well under the errors tab's fallback poll (60 s): what arrives in time arrived live. */
const LIVE = { timeout: 15_000 };

/** The bell's accessible name once it has counted. */
function bellSays(unread: number): string {
  return `Notifications, ${unread} unread`;
}

/** Marks the page so a reload (which would forget the mark) is noticed. */
async function markNoReload(page: Page) {
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}

async function stillNotReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

test("the customer's bell counts an approval live, links to My Agents and clears when read", async ({ page }) => {
  const admin = await adminApi();
  const agents = await catalog(admin);
  const agent = agents.find((a) => a.slug === "sentiment") ?? agents[0];
  const { email } = await registerOnPage(page, "bell");
  const asked = await page.request.post("/api/marketplace/request-access", {
    data: { agentId: agent.id, requestReason: "Told in time, please." },
    headers: origin,
  });
  expect(asked.status(), await asked.text()).toBe(201);

  await open(page, "/my-requests");
  const bell = page.getByTestId("notification-bell");
  await expect(bell).toHaveAttribute("aria-label", bellSays(0));
  await expect(page.getByTestId("notification-count")).toHaveCount(0);
  await markNoReload(page);

  // The super admin approves while the customer's page stays open.
  await approveRequest(admin, email, agent.id, 10);
  await expect(bell).toHaveAttribute("aria-label", bellSays(1), LIVE);
  await expect(page.getByTestId("notification-count")).toHaveText("1");
  expect(await stillNotReloaded(page), "the count rose without a reload").toBe(true);

  // The notification centre: the approval, unread, linking to My Agents.
  await bell.click();
  await expect(page).toHaveURL(/\/notifications$/);
  const item = page.locator('[data-testid="notification"][data-kind="access_request.approved"]');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute("data-read", "false");
  await expect(item).toHaveClass(/unread/);
  await expect(item.getByTestId("notification-link")).toHaveAttribute("href", "/my-agents");
  await expect(item.getByTestId("notification-link")).toContainText(agent.name);

  // Marking it read clears the count.
  await item.getByTestId("notification-read").click();
  await expect(item).toHaveAttribute("data-read", "true");
  await expect(bell).toHaveAttribute("aria-label", bellSays(0));
  await expect(page.getByTestId("notification-count")).toHaveCount(0);

  // The link leads to My Agents, where the new license is.
  await item.getByTestId("notification-link").click();
  await expect(page).toHaveURL(/\/my-agents$/);
  await expect(page.getByTestId("license-card").first()).toBeVisible();
  await expect(bell).toHaveAttribute("aria-label", bellSays(0));
  expect(browserErrors.get(page) ?? []).toEqual([]);
  await admin.dispose();
});

// A critical error needs the agent service to refuse the gateway's signature (its secret out
// of step, as after a half-done rotation): this test starts its own agent service and server,
// so restarting the service with another secret disturbs no other test.
const root = path.resolve(__dirname, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");
const agentPort = Number(process.env.E2E_LIVE_AGENT_PORT || 8121);
const serverPort = Number(process.env.E2E_LIVE_SERVER_PORT || 3121);
const base = `http://127.0.0.1:${serverPort}`;
const secret = "e2e-live-secret-0123456789";

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

function startAgents(agentSecret: string): ChildProcess {
  return start(
    path.join(root, "python-agents", ".venv", "bin", "uvicorn"),
    ["service.main:app", "--host", "127.0.0.1", "--port", String(agentPort), "--log-level", "warning"],
    path.join(root, "python-agents"),
    { AGENT_SERVICE_SECRET: agentSecret },
  );
}

async function healthOf(ctx: APIRequestContext, url: string): Promise<number> {
  return (await ctx.get(url).catch(() => null))?.status() ?? 0;
}

let agents: ChildProcess | undefined;
let server: ChildProcess | undefined;

test.afterAll(() => {
  stop(agents, "SIGKILL");
  stop(server);
});

test("the super admin sees a new critical error appear live in the errors tab", async ({ browser }) => {
  test.setTimeout(180_000);
  const probe = await playwrightRequest.newContext();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "abetworks-live-"));
  agents = startAgents(secret);
  await expect.poll(() => healthOf(probe, `http://127.0.0.1:${agentPort}/health`), { timeout: 60_000 }).toBe(200);
  server = start(path.join(targetDir, "debug", "server"), [], root, {
    DATABASE_URL: `sqlite://${path.join(dataDir, "live.sqlite")}?mode=rwc`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${serverPort}`,
    LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
    AGENT_SERVICE_URL: `http://127.0.0.1:${agentPort}`,
    AGENT_SERVICE_SECRET: secret,
    ABETWORKS_DEMO_DATA: "true",
    ABETWORKS_ADMIN_EMAIL: adminEmail,
    ABETWORKS_ADMIN_PASSWORD: adminPassword,
    RUST_LOG: "error",
  });
  await expect.poll(() => healthOf(probe, `${base}/healthz`), { timeout: 60_000 }).toBe(200);

  const api = () => playwrightRequest.newContext({ baseURL: base, extraHTTPHeaders: { Origin: base } });
  const admin = await api();
  expect((await admin.post("/api/auth/login", { data: { email: adminEmail, password: adminPassword } })).status()).toBe(200);
  let agentId = "";
  await expect
    .poll(async () => {
      const items: { id: string; slug: string }[] = (await (await admin.get("/api/marketplace/agents")).json()).items ?? [];
      agentId = items.find((a) => a.slug === "sentiment")?.id ?? "";
      return agentId;
    }, { timeout: 60_000 })
    .not.toBe("");

  // A member licensed for the agent.
  const member = await api();
  const memberEmail = `live-${Date.now()}@e2e.abetworks.local`;
  const registered = await member.post("/api/auth/register", {
    data: { email: memberEmail, password: memberPassword, name: "Lou Live" },
  });
  expect(registered.status(), await registered.text()).toBe(201);
  const asked = await member.post("/api/marketplace/request-access", { data: { agentId: agentId, requestReason: "drill" } });
  expect(asked.status(), await asked.text()).toBe(201);
  const approved = await admin.post(`/api/admin/access-requests/${(await asked.json()).id}/approve`, {
    data: { apiCallLimit: 5 },
  });
  expect(approved.status(), await approved.text()).toBe(200);

  // The super admin watches the errors tab.
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Hydration mismatches and failed requests show in the console.
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const signedIn = await page.request.post("/api/auth/login", {
    data: { email: adminEmail, password: adminPassword },
    headers: { Origin: base },
  });
  expect(signedIn.status(), await signedIn.text()).toBe(200);
  await page.goto("/admin/errors");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("errors-tab")).toBeVisible();
  await expect(page.getByTestId("loading")).toHaveCount(0, { timeout: 20_000 });
  const critical = page.locator('[data-testid="error-row"][data-severity="critical"]');
  await expect(critical).toHaveCount(0);
  const bell = page.getByTestId("notification-bell");
  await expect(bell).toHaveAttribute("aria-label", /^Notifications, \d+ unread$/);
  const before = Number((await bell.getAttribute("data-unread")) ?? "0");
  await markNoReload(page);

  // The agent service comes back with another secret: it refuses the gateway's signature.
  stop(agents, "SIGKILL");
  await expect.poll(() => healthOf(probe, `http://127.0.0.1:${agentPort}/health`)).toBe(0);
  agents = startAgents("e2e-live-rotated-secret-9876543210");
  await expect.poll(() => healthOf(probe, `http://127.0.0.1:${agentPort}/health`), { timeout: 60_000 }).toBe(200);
  const refused = await member.post(`/api/agents/${agentId}/execute`, { data: { input: { text: "hello?" } } });
  expect(refused.status(), await refused.text()).toBeGreaterThanOrEqual(500);

  // The error appears in the open tab, and the bell counts it, without a reload.
  await expect(critical).toHaveCount(1, LIVE);
  await expect(bell).toHaveAttribute("aria-label", bellSays(before + 1), LIVE);
  expect(await stillNotReloaded(page), "the error arrived without a reload").toBe(true);
  expect(errors).toEqual([]);

  await context.close();
  await admin.dispose();
  await member.dispose();
  await probe.dispose();
});
