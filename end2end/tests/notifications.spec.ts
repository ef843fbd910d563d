import { test, expect, type Page } from "@playwright/test";
import {
  adminApi,
  approveRequest,
  browserErrors,
  catalog,
  memberPassword,
  open,
  origin,
  registerOnPage,
} from "./support/customer";
import { OwnStack } from "./support/stack";

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
const stack = new OwnStack(
  "live",
  Number(process.env.E2E_LIVE_AGENT_PORT || 8121),
  Number(process.env.E2E_LIVE_SERVER_PORT || 3121),
  "e2e-live-secret-0123456789",
);

test.afterAll(() => stack.stop());

test("the super admin sees a new critical error appear live in the errors tab", async ({ browser }) => {
  test.setTimeout(180_000);
  await stack.startAgents();
  await stack.startServer();
  const admin = await stack.adminApi();
  const agentId = await stack.agentId(admin, "sentiment");

  // A member licensed for the agent.
  const member = await stack.api();
  const lou = { email: `live-${Date.now()}@e2e.abetworks.local`, password: memberPassword, name: "Lou Live" };
  await stack.licensedMember(member, admin, lou, agentId, "drill", 5);

  // The super admin watches the errors tab.
  const context = await browser.newContext({ baseURL: stack.base });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Hydration mismatches and failed requests show in the console.
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await stack.signInAsAdmin(page);
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
  await stack.killAgents();
  await stack.startAgents("e2e-live-rotated-secret-9876543210");
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
});
