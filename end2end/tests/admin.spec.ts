import { test, expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import * as fs from "node:fs";

// The super admin's dashboard, issue 8. The server and agent service come from playwright.config.ts.
const adminEmail = "admin@e2e.abetworks.local";
const adminPassword = "e2e-admin-password-1";
const password = "e2e-member-password-1";
const baseURL = `http://127.0.0.1:${Number(process.env.E2E_SERVER_PORT || 3100)}`;
const origin = { Origin: baseURL };

let seq = 0;
function uniqueEmail(kind: string): string {
  seq += 1;
  return `${kind}-${Date.now()}-${seq}@e2e.abetworks.local`;
}

type Api = { ctx: APIRequestContext; id: string; email: string };

async function newApi(): Promise<APIRequestContext> {
  return playwrightRequest.newContext({ baseURL, extraHTTPHeaders: origin });
}

async function registerMember(kind = "member"): Promise<Api> {
  const ctx = await newApi();
  const email = uniqueEmail(kind);
  const res = await ctx.post("/api/auth/register", { data: { email, password, name: `E2E ${kind} ${seq}` } });
  expect(res.status(), await res.text()).toBe(201);
  const me = await (await ctx.get("/api/auth/me")).json();
  return { ctx, id: me.id, email };
}

async function adminApi(): Promise<APIRequestContext> {
  const ctx = await newApi();
  const res = await ctx.post("/api/auth/login", { data: { email: adminEmail, password: adminPassword } });
  expect(res.status(), await res.text()).toBe(200);
  return ctx;
}

type Agent = { id: string; slug: string; name: string };

async function agents(ctx: APIRequestContext): Promise<Agent[]> {
  let items: Agent[] = [];
  await expect
    .poll(async () => {
      const res = await ctx.get("/api/marketplace/agents");
      items = (await res.json()).items ?? [];
      return items.length;
    }, { timeout: 30_000 })
    .toBeGreaterThanOrEqual(2);
  return items;
}

async function signIn(page: Page, email: string, pass: string) {
  const res = await page.request.post("/api/auth/login", { data: { email, password: pass }, headers: origin });
  expect(res.status(), await res.text()).toBe(200);
}

// Every page's uncaught errors (a hydration panic among them), to assert there are none.
const pageErrors = new WeakMap<Page, string[]>();

function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

async function open(page: Page, path: string) {
  if (!pageErrors.has(page)) {
    pageErrors.set(page, []);
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") console.log(`browser ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => {
      console.log(`browser pageerror: ${e.message}`);
      errorsOf(page).push(`${page.url()}: ${e.message}`);
    });
  }
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

async function grantByApi(admin: APIRequestContext, userId: string, agentId: string, limit: number) {
  const res = await admin.post("/api/admin/licenses", { data: { userId, agentId, apiCallLimit: limit } });
  expect(res.status(), await res.text()).toBe(201);
}

test("grant a license from the dialog and see it in the table", async ({ page }) => {
  const member = await registerMember();
  const [agent] = await agents(member.ctx);
  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/licenses");
  const dialog = page.getByTestId("grant-dialog");
  // The dialog is drawn in the browser only: retry the click until the page has hydrated.
  await expect(async () => {
    await page.getByTestId("grant-license-button").click();
    await expect(dialog).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await dialog.getByTestId("grant-user-search").fill(member.email);
  await dialog.getByTestId("grant-user").selectOption(member.id);
  await dialog.getByTestId("grant-agent-search").fill(agent.name);
  await dialog.getByTestId("grant-agent").selectOption(agent.id);
  await dialog.getByTestId("grant-limit").fill("42");
  await dialog.getByTestId("grant-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText(`Granted ${agent.name} to ${member.email}`);
  await expect(dialog).toBeHidden();
  const row = page.locator(`[data-testid="license-row"][data-user="${member.email}"]`);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-status", "active");
  await expect(row.getByTestId("license-usage")).toContainText("0 / 42");

  // Unlimited through the switch with an expiry, then clear the expiry again.
  await row.getByTestId("license-edit").click();
  await page.getByTestId("edit-limit-unlimited").check();
  await page.getByTestId("edit-expiry").fill("2031-01-31");
  await page.getByTestId("edit-license-submit").click();
  await expect(row.getByTestId("license-usage")).toContainText("Unlimited");
  await expect(row.getByTestId("license-expires")).toHaveText("2031-01-31");
  await row.getByTestId("license-edit").click();
  await expect(page.getByTestId("edit-expiry")).toHaveValue("2031-01-31");
  await page.getByTestId("edit-expiry").fill("");
  await page.getByTestId("edit-license-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText("no expiry");
  await expect(row.getByTestId("license-expires")).toHaveText("Never");

  // Suspend, then revoke with confirmation.
  await row.getByTestId("license-toggle").click();
  await page.getByTestId("suspend-confirm").click();
  await expect(row).toHaveAttribute("data-status", "suspended");
  await row.getByTestId("license-revoke").click();
  await page.getByTestId("revoke-confirm").click();
  await expect(page.getByTestId("admin-notice")).toContainText("Revoked");
  await expect(row).toHaveAttribute("data-status", "revoked");

  // "Usage" opens the executions of this user and agent.
  await row.getByTestId("license-usage-link").click();
  await expect(page).toHaveURL(new RegExp(`/admin/executions\\?user=${member.id}&agent=${agent.id}`));
  await expect(page.getByTestId("executions-agent")).toHaveValue(agent.id);
});

test("the license table sorts by a column header, both ways", async ({ page }) => {
  const admin = await adminApi();
  const all = await agents(admin);
  for (const kind of ["sort-b", "sort-a"]) {
    const member = await registerMember(kind);
    await grantByApi(admin, member.id, all[0].id, 3);
  }
  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/licenses");
  const header = page.locator("th").filter({ has: page.getByTestId("sort-user") });
  const users = () => page.getByTestId("license-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-user") ?? ""));
  await expect(header).toHaveAttribute("aria-sort", "none");
  await page.getByTestId("sort-user").click();
  await expect(header).toHaveAttribute("aria-sort", "ascending");
  await expect(async () => {
    const seen = await users();
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort());
  }).toPass({ timeout: 10_000 });
  await page.getByTestId("sort-user").click();
  await expect(header).toHaveAttribute("aria-sort", "descending");
  await expect(async () => {
    const seen = await users();
    expect(seen).toEqual([...seen].sort().reverse());
  }).toPass({ timeout: 10_000 });
});

test("approve one request with a limit and reject another with a note", async ({ page }) => {
  const member = await registerMember();
  const [first, second] = await agents(member.ctx);
  for (const agent of [first, second]) {
    const res = await member.ctx.post("/api/marketplace/request-access", {
      data: { agentId: agent.id, requestReason: `Needed for e2e testing of ${agent.name}` },
    });
    expect(res.status(), await res.text()).toBe(201);
  }
  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/requests");
  const rowFor = (agent: Agent) =>
    page.locator(`[data-testid="admin-request-row"][data-user="${member.email}"][data-agent="${agent.name}"]`);
  await expect(rowFor(first)).toHaveAttribute("data-status", "pending");

  await rowFor(first).getByTestId("request-approve").click();
  await page.getByTestId("approve-limit").fill("25");
  await page.getByTestId("approve-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText(`Approved: ${member.email} may now run ${first.name} (25 calls)`);
  await expect(rowFor(first)).toHaveAttribute("data-status", "approved");

  await rowFor(second).getByTestId("request-reject").click();
  await page.getByTestId("reject-submit").click();
  await expect(page.getByTestId("reject-dialog").getByTestId("dialog-error")).toBeVisible();
  await page.getByTestId("reject-note").fill("Not available for your plan yet.");
  await page.getByTestId("reject-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText("Rejected the request");
  await expect(rowFor(second)).toHaveAttribute("data-status", "rejected");

  // The user sees both decisions.
  const mine = await (await member.ctx.get("/api/marketplace/my-requests")).json();
  const list = Array.isArray(mine) ? mine : mine.items;
  const byAgent = (a: Agent) => list.find((r: { agentId: string }) => r.agentId === a.id);
  expect(byAgent(first).status).toBe("approved");
  expect(byAgent(second).status).toBe("rejected");
  expect(byAgent(second).reviewNote).toBe("Not available for your plan yet.");
  const usage = await (await member.ctx.get("/api/marketplace/my-agents")).json();
  const licenses = Array.isArray(usage) ? usage : usage.items;
  expect(JSON.stringify(licenses)).toContain(first.id);
  expect(JSON.stringify(licenses)).toContain("25");
});

test("filter errors by severity, expand one and resolve it", async ({ page }) => {
  const admin = await adminApi();
  const member = await registerMember();
  // An agent whose input schema requires a field, so an empty input is refused.
  const agent = (await agents(member.ctx)).find((a) => a.slug === "sentiment")!;
  await grantByApi(admin, member.id, agent.id, 10);
  const bad = await member.ctx.post(`/api/agents/${agent.id}/execute`, { data: { input: {} } });
  expect(bad.status(), await bad.text()).toBeGreaterThanOrEqual(400);

  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/errors");
  await expect(page.getByTestId("error-stats")).toBeVisible();
  await page.getByTestId("errors-severity").selectOption("low");
  await page.getByTestId("errors-resolved").selectOption("no");
  const rows = page.getByTestId("error-row");
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('[data-testid="error-row"]:not([data-severity="low"])')).toHaveCount(0);
  // Pin the row by id: other tests log errors too, and the list refreshes every 10 s.
  const id = await rows.first().getAttribute("data-id");
  const row = page.locator(`[data-testid="error-row"][data-id="${id}"]`);
  await row.getByTestId("error-expand").click();
  await expect(row.locator(".details-row")).toBeVisible();
  await row.getByTestId("error-resolve").click();
  await page.getByTestId("resolve-note").fill("Bad input from an e2e test; nothing to fix.");
  await page.getByTestId("resolve-submit").click();
  await expect(page.getByTestId("admin-notice")).toContainText("resolved");
  await expect(page.locator(`[data-testid="error-row"][data-id="${id}"]`)).toHaveCount(0);
  await page.getByTestId("errors-resolved").selectOption("yes");
  await expect(page.locator(`[data-testid="error-row"][data-id="${id}"]`)).toHaveAttribute("data-resolved", "true");
});

test("analytics draws three charts and exports the calls as CSV", async ({ page }) => {
  const admin = await adminApi();
  const member = await registerMember("heavy");
  const all = await agents(member.ctx);
  const agent = all.find((a) => a.slug.includes("sentiment")) ?? all[0];
  await grantByApi(admin, member.id, agent.id, 5);
  // Four successful calls of five: 80%, a heavy user.
  const calls = 4;
  for (let i = 0; i < calls; i++) {
    const res = await member.ctx.post(`/api/agents/${agent.id}/execute`, {
      data: { input: { text: `I really love this product, call ${i}.` } },
    });
    expect(res.status(), await res.text()).toBe(200);
  }

  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/analytics");
  for (const id of ["chart-trend", "chart-agents", "chart-users"]) {
    await expect(page.locator(`#${id} canvas`)).toHaveCount(1, { timeout: 20_000 });
  }
  // The canvases have content.
  const painted = await page.evaluate(() =>
    ["chart-trend", "chart-agents", "chart-users"].map((id) => {
      const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
      const ctx = canvas.getContext("2d")!;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let ink = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
      return ink;
    }),
  );
  for (const ink of painted) expect(ink).toBeGreaterThan(100);
  // The chart instances hold the expected series.
  const series = await page.evaluate(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const echarts = (window as any).echarts;
    const opt = (id: string) => echarts.getInstanceByDom(document.getElementById(id)).getOption();
    const trend = opt("chart-trend");
    const agents = opt("chart-agents");
    const users = opt("chart-users");
    return {
      trendType: trend.series[0].type,
      trendTotal: (trend.series[0].data as number[]).reduce((a, b) => a + Number(b), 0),
      agentType: agents.series[0].type,
      agentNames: agents.xAxis[0].data as string[],
      userType: users.series[0].type,
      userNames: users.yAxis[0].data as string[],
      userCalls: users.series[0].data as number[],
    };
  });
  expect(series.trendType).toBe("line");
  expect(series.trendTotal).toBeGreaterThanOrEqual(calls);
  expect(series.agentType).toBe("bar");
  expect(series.agentNames).toContain(agent.name);
  expect(series.userType).toBe("bar");
  const at = series.userNames.indexOf(member.email);
  expect(at, "the member is in the by-user chart").toBeGreaterThanOrEqual(0);
  expect(Number(series.userCalls[at])).toBe(calls);
  await expect(page.getByTestId("calls-today")).not.toHaveText("0");

  // The heavy user (4 of 5 = 80%) is flagged.
  await expect(page.locator(`[data-testid="heavy-row"]`, { hasText: member.email })).toHaveCount(1);

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("usage-export").click()]);
  const text = fs.readFileSync((await download.path())!, "utf8");
  const lines = text.trim().split(/\r?\n/);
  expect(lines[0]).toContain("user_email");
  const mine = lines.filter((l) => l.includes(member.email));
  expect(mine).toHaveLength(calls);
  for (const line of mine) expect(line).toContain(agent.id);

  // Read per window: this UTC day holds the member's calls too, and the export follows it.
  await page.getByTestId("usage-this-day").click();
  const day = new Date().toISOString().slice(0, 10);
  await expect(page.getByTestId("usage-export")).toHaveAttribute("href", new RegExp(`from=${day}T00:00:00`));
  await page.getByTestId("usage-this-month").click();
  await expect(page.getByTestId("usage-export")).toHaveAttribute("href", new RegExp(`from=${day.slice(0, 8)}01T00:00:00`));
});

test("sync the catalog from the agent service", async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/agents");
  await expect(page.getByTestId("agent-row").first()).toBeVisible();
  await page.getByTestId("sync-agents").click();
  await expect(page.getByTestId("admin-notice")).toContainText("Synced from the agent service. Added:");
  await expect(page.getByTestId("admin-notice")).toContainText("Unavailable:");
});

test("a role changes only once the dialog confirms it; Escape keeps the old one", async ({ page }) => {
  const member = await registerMember("promote");
  await signIn(page, adminEmail, adminPassword);
  await open(page, "/admin/users");
  await page.getByTestId("users-search").fill(member.email);
  await page.getByTestId("users-search").press("Enter");
  const row = page.locator(`[data-testid="user-row"][data-email="${member.email}"]`);
  await expect(row).toHaveCount(1);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  const dialog = page.getByTestId("role-dialog");

  await row.getByTestId("user-role").selectOption("super_admin");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("from Member to Super admin");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(row.getByTestId("user-role")).toHaveValue("member");
  await expect(row).toHaveAttribute("data-role", "member");

  await row.getByTestId("user-role").selectOption("admin");
  await dialog.getByTestId("role-confirm").click();
  await expect(page.getByTestId("admin-notice")).toContainText(`${member.email} is now admin`);
  await expect(row).toHaveAttribute("data-role", "admin");
});

test("a member and an organisation admin cannot reach what they may not see", async ({ page, browser }) => {
  const admin = await adminApi();
  const member = await registerMember();
  const orgAdmin = await registerMember("orgadmin");
  const promote = await admin.patch(`/api/admin/users/${orgAdmin.id}`, { data: { role: "admin" } });
  expect(promote.status(), await promote.text()).toBe(200);

  // The UI.
  await signIn(page, member.email, password);
  await open(page, "/admin");
  await expect(page.getByTestId("admin-not-allowed")).toBeVisible();
  await expect(page.getByTestId("nav-admin")).toHaveCount(0);
  await open(page, "/admin/licenses");
  await expect(page.getByTestId("admin-not-allowed")).toBeVisible();
  await expect(page.getByTestId("licenses-tab")).toHaveCount(0);

  const orgPage = await (await browser.newContext()).newPage();
  await signIn(orgPage, orgAdmin.email, password);
  await open(orgPage, "/admin");
  await expect(orgPage.getByTestId("users-tab")).toBeVisible();
  await expect(orgPage.getByTestId("users-read-only")).toBeVisible();
  await expect(orgPage.getByTestId("admin-tab-licenses")).toHaveCount(0);
  await expect(orgPage.getByTestId("user-disable")).toHaveCount(0);
  await open(orgPage, "/admin/licenses");
  await expect(orgPage.getByTestId("admin-not-allowed")).toBeVisible();

  // The server functions behind it.
  const superOnly = [
    ["admin-ui/licenses", {}],
    ["admin-ui/licenses/grant", { user_id: member.id, agent_id: "x", api_call_limit: "5" }],
    ["admin-ui/requests", {}],
    ["admin-ui/errors", {}],
    ["admin-ui/usage", {}],
    ["admin-ui/executions", {}],
    ["admin-ui/agents", {}],
    ["admin-ui/agents/sync", {}],
    ["admin-ui/users/change", { id: member.id, role: "super_admin" }],
  ] as const;
  for (const who of [member, orgAdmin]) {
    for (const [path, form] of superOnly) {
      const res = await who.ctx.post(`/api/${path}`, { form: form as Record<string, string> });
      expect(res.ok(), `${who.email} ${path}`).toBe(false);
      expect(await res.text(), path).toContain("FORBIDDEN");
    }
  }
  const memberUsers = await member.ctx.post("/api/admin-ui/users", { form: {} });
  expect(memberUsers.ok()).toBe(false);
  expect(await memberUsers.text()).toContain("FORBIDDEN");
  const orgUsers = await orgAdmin.ctx.post("/api/admin-ui/users", { form: {} });
  expect(orgUsers.status(), await orgUsers.text()).toBe(200);
  const seen = await orgUsers.json();
  expect(seen.can_edit).toBe(false);
  // Only their own organisation: never the super admin of another one, never everyone.
  for (const u of seen.page.items) expect(u.email).not.toBe(adminEmail);
});

const TABS = ["licenses", "requests", "errors", "analytics", "executions", "agents", "users", "organizations", "webhooks"];

for (const theme of ["light", "dark"]) {
  test(`axe finds no serious or critical violations on any tab (${theme})`, async ({ page }) => {
    await signIn(page, adminEmail, adminPassword);
    await page.addInitScript((t) => {
      try {
        localStorage.setItem("abetworks-theme", t);
      } catch {
        /* ignore */
      }
    }, theme);
    for (const tab of TABS) {
      await open(page, `/admin/${tab}`);
      await page.evaluate((t) => document.documentElement.setAttribute("data-theme", t), theme);
      await expect(page.getByTestId(`${tab}-tab`)).toBeVisible();
      await expect(page.getByTestId("loading")).toHaveCount(0, { timeout: 20_000 });
      expect(errorsOf(page), `${tab} (${theme}) hydrates without errors`).toEqual([]);
      const results = await new AxeBuilder({ page }).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(
        bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
        `${tab} (${theme})`,
      ).toEqual([]);
    }
  });
}
