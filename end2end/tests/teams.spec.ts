import { test, expect, type Browser, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import {
  adminApi,
  adminEmail,
  adminPassword,
  browserErrors,
  catalog,
  memberPassword,
  open,
  origin,
  signInOnPage,
  uniqueEmail,
} from "./support/customer";

// Issue 16, teams, through the UI: the super admin creates an organisation (with its first
// admin) and subscribes it to an agent; its admin invites a member; the member signs up through
// the invitation link, accepts, runs the agent and sees the shared pool go down; the admin sees
// the member's usage. The server and agent service come from playwright.config.ts.

const POOL = 5;

// Every page this spec opens; afterEach checks none of them logged a browser error.
const pages: Page[] = [];

test.afterEach(async () => {
  for (const page of pages.splice(0)) {
    const errors = (browserErrors.get(page) ?? []).filter(
      // A refused server function is logged by Chromium; the spec checks what the page says.
      (e) => !/status of (4\d\d|5\d\d)/.test(e),
    );
    expect(errors, `browser errors on ${page.url()}`).toEqual([]);
  }
});

/** A page in a browser context of its own (its own cookies). */
async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  pages.push(page);
  return page;
}

/** No serious or critical accessibility issue on the page as it is now. */
async function expectAccessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    `axe on ${label}`,
  ).toEqual([]);
}

/** Clicks `button` until `dialog` shows: the dialogs are drawn once the page has hydrated. */
async function openDialog(button: ReturnType<Page["getByTestId"]>, dialog: ReturnType<Page["getByTestId"]>) {
  await expect(async () => {
    await button.click();
    await expect(dialog).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test("a super admin subscribes a new organisation to an agent; its admin invites a member, who joins, runs the agent from the pool, and shows in the admin's usage", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const api = await adminApi();
  const agent = (await catalog(api)).find((a) => a.slug === "sentiment")!;
  await api.dispose();
  const organization = `E2E Team ${Date.now()}`;

  // The organisation's first admin has an account already; the member does not.
  const orgAdmin = await newPage(browser);
  const orgAdminEmail = uniqueEmail("team-admin");
  const registered = await orgAdmin.request.post("/api/auth/register", {
    data: { email: orgAdminEmail, password: memberPassword, name: "Ada Admin" },
    headers: origin,
  });
  expect(registered.status(), await registered.text()).toBe(201);
  const orgAdminId: string = (await (await orgAdmin.request.get("/api/auth/me")).json()).id;
  const memberEmail = uniqueEmail("team-member");

  // 1. The super admin creates the organisation with its admin, then subscribes it.
  const admin = await newPage(browser);
  await signInOnPage(admin, adminEmail, adminPassword);
  await open(admin, "/admin/organizations");
  const create = admin.getByTestId("create-organization-dialog");
  await openDialog(admin.getByTestId("create-organization-button"), create);
  await create.getByTestId("organization-name").fill(organization);
  await create.getByTestId("organization-admin-search").fill(orgAdminEmail);
  await create.getByTestId("organization-admin").selectOption(orgAdminId);
  await create.getByTestId("create-organization-submit").click();
  await expect(admin.getByTestId("admin-notice")).toContainText(`Created ${organization}`);
  const row = admin.locator(`[data-testid="organization-row"][data-name="${organization}"]`);
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("organization-members")).toHaveText("1");

  await row.getByTestId("organization-subscribe").click();
  const subscribe = admin.getByTestId("subscribe-dialog");
  await expect(subscribe).toBeVisible();
  await subscribe.getByTestId("subscribe-agent-search").fill(agent.name);
  await subscribe.getByTestId("subscribe-agent").selectOption(agent.id);
  await subscribe.getByTestId("subscribe-limit").fill(String(POOL));
  await subscribe.getByTestId("subscribe-submit").click();
  await expect(subscribe).toBeHidden();
  const pool = admin.locator(`[data-testid="subscription-row"][data-organization="${organization}"]`);
  await expect(pool).toHaveAttribute("data-agent", agent.name);
  await expect(pool.getByTestId("subscription-usage")).toContainText("0 used");
  await expectAccessible(admin, "the organisations tab");

  // 2. The organisation's admin finds the team in the header and invites the member; the link
  // is shown once, to copy (no SMTP here, so it is not emailed).
  await open(orgAdmin, "/marketplace");
  await orgAdmin.getByTestId("nav-team").click();
  await expect(orgAdmin).toHaveURL(/\/team$/);
  await expect(orgAdmin.getByTestId("team-name")).toHaveText(organization);
  await expect(orgAdmin.locator('[data-testid="org-agent-card"]')).toHaveAttribute("data-agent", agent.name);
  const invite = orgAdmin.getByTestId("invite-dialog");
  await openDialog(orgAdmin.getByTestId("invite-button"), invite);
  await invite.getByTestId("invite-email").fill(memberEmail);
  await invite.getByTestId("invite-submit").click();
  await expect(invite).toBeHidden();
  const link = await orgAdmin.getByTestId("invitation-url").inputValue();
  expect(link).toMatch(/\/invitations\/[A-Za-z0-9_-]+$/);
  const invited = orgAdmin.locator(`[data-testid="invitation-row"][data-email="${memberEmail}"]`);
  await expect(invited).toHaveAttribute("data-status", "pending");
  await expectAccessible(orgAdmin, "the team page of an admin");

  // 3. The member opens the link signed out, creates an account through it, comes back and
  // accepts.
  const member = await newPage(browser);
  await open(member, new URL(link).pathname);
  await expect(member.getByTestId("invitation-intro")).toContainText(organization);
  await member.getByTestId("invitation-register").click();
  await expect(member).toHaveURL(/\/register\?next=/);
  await expect(member.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await member.getByLabel("Name").fill("Max Member");
  await member.getByLabel("Email").fill(memberEmail);
  await member.getByLabel("Password").fill(memberPassword);
  await member.getByTestId("register-submit").click();
  await expect(member).toHaveURL(/\/invitations\//);
  await expect(member.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await member.getByTestId("invitation-accept").click();
  await expect(member).toHaveURL(/\/team$/);
  await expect(member.getByTestId("team-name")).toHaveText(organization);
  await expect(member.getByTestId("invite-button")).toHaveCount(0);

  // 4. My Agents shows the shared agent with the whole pool; the member runs it once and the
  // pool goes down, on the run page and on My Agents.
  await open(member, "/my-agents");
  const section = member.getByTestId("org-agents-section");
  await expect(section).toContainText(`From ${organization}`);
  const card = section.locator(`[data-testid="org-agent-card"][data-agent="${agent.name}"]`);
  await expect(card.getByTestId("pool-text")).toHaveText(`${POOL} of ${POOL} calls left in the pool`);
  await card.getByTestId("run-org-agent").click();
  await expect(member).toHaveURL(new RegExp(`/agents/${agent.id}/run$`));
  await expect(member.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(member.getByTestId("pool-summary").getByTestId("pool-text")).toHaveText(
    `${POOL} of ${POOL} calls left in the pool`,
  );
  await member.getByLabel("Text", { exact: true }).fill("Working together is wonderful.");
  const answered = member.waitForResponse((r) => r.url().includes("/api/ui/agents/run"));
  await member.getByRole("button", { name: `Run ${agent.name}` }).click();
  expect((await answered).status()).toBe(200);
  await expect(member.getByTestId("result-meta")).toBeVisible();
  await expect(member.getByTestId("pool-summary").getByTestId("pool-text")).toHaveText(
    `${POOL - 1} of ${POOL} calls left in the pool`,
  );
  await open(member, "/my-agents");
  await expect(
    member.locator(`[data-testid="org-agent-card"][data-agent="${agent.name}"]`).getByTestId("pool-text"),
  ).toHaveText(`${POOL - 1} of ${POOL} calls left in the pool`);

  // 5. The organisation's admin sees the member, the accepted invitation, the member's call in
  // the usage by member and among the executions.
  await open(orgAdmin, "/team");
  await expect(orgAdmin.locator(`[data-testid="member-row"][data-email="${memberEmail}"]`)).toHaveAttribute(
    "data-role",
    "member",
  );
  await expect(invited).toHaveAttribute("data-status", "accepted");
  const usage = orgAdmin.locator(`[data-testid="team-usage-row"][data-email="${memberEmail}"]`);
  await expect(usage.getByTestId("team-usage-calls")).toHaveText("1");
  await expect(orgAdmin.getByTestId("chart-team-members").locator("canvas, svg").first()).toBeVisible();
  await expect(
    orgAdmin.locator(`[data-testid="team-execution-row"][data-email="${memberEmail}"]`),
  ).toHaveAttribute("data-status", "succeeded");

  // 6. The super admin sees the pool's call too.
  await open(admin, "/admin/organizations");
  await expect(
    admin.locator(`[data-testid="subscription-row"][data-organization="${organization}"]`).getByTestId("subscription-usage"),
  ).toContainText("1 used");
});

test("an organisation's admin asks for an agent for the team; the super admin approves it as a pool with a member cap; the admin's own license counts first, then the pool", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const api = await adminApi();
  const agent = (await catalog(api)).find((a) => a.slug === "sentiment")!;
  const organization = `E2E Asking Team ${Date.now()}`;
  const orgAdmin = await newPage(browser);
  const orgAdminEmail = uniqueEmail("asking-admin");
  const registered = await orgAdmin.request.post("/api/auth/register", {
    data: { email: orgAdminEmail, password: memberPassword, name: "Ann Admin" },
    headers: origin,
  });
  expect(registered.status(), await registered.text()).toBe(201);
  const orgAdminId: string = (await (await orgAdmin.request.get("/api/auth/me")).json()).id;
  const created = await api.post("/api/admin/organizations", {
    data: { name: organization, adminUserId: orgAdminId },
  });
  expect(created.status(), await created.text()).toBe(201);

  // 1. In the marketplace, the organisation's admin asks for the agent for the team.
  await open(orgAdmin, "/marketplace");
  const card = orgAdmin.locator(`[data-testid="agent-card"][data-slug="${agent.slug}"]`);
  const asking = orgAdmin.getByTestId("request-dialog").filter({ hasText: agent.name });
  await openDialog(card.getByTestId("access-button"), asking);
  await expect(asking.getByLabel(`Ask for my organisation (${organization})`)).toBeVisible();
  await asking.getByTestId("request-reason").fill("Our analysts score support tickets.");
  await asking.getByTestId("request-for-organization").check();
  await expectAccessible(orgAdmin, "the request dialog of an organisation admin");
  await asking.getByTestId("request-submit").click();
  await expect(asking.getByTestId("request-sent")).toBeVisible();

  // 2. The super admin sees it as a request for the organisation and approves it as a pool of
  // 3 calls, at most 2 per member.
  const admin = await newPage(browser);
  await signInOnPage(admin, adminEmail, adminPassword);
  await open(admin, "/admin/requests");
  const row = admin.locator(`[data-testid="admin-request-row"][data-user="${orgAdminEmail}"]`);
  await expect(row).toHaveAttribute("data-organization", organization);
  await expect(row.getByTestId("request-organization")).toHaveText(`A pool for ${organization}`);
  const approve = admin.getByTestId("approve-dialog");
  await openDialog(row.getByTestId("request-approve"), approve);
  await approve.getByTestId("approve-limit").fill("3");
  await approve.getByTestId("approve-cap").fill("2");
  await expectAccessible(admin, "the approve dialog of a request for an organisation");
  await approve.getByTestId("approve-submit").click();
  await expect(admin.getByTestId("admin-notice")).toContainText(
    `Approved: ${organization} may now run ${agent.name} from its shared pool.`,
  );
  await expect(row).toHaveAttribute("data-status", "approved");

  // The admin also holds a license of their own for the agent, with one call.
  const granted = await api.post("/api/admin/licenses", {
    data: { userId: orgAdminId, agentId: agent.id, apiCallLimit: 1 },
  });
  expect(granted.status(), await granted.text()).toBe(201);
  await api.dispose();

  // 3. The admin page links an organisation's admin to the team page, which lists the members'
  // licenses, read-only.
  await open(orgAdmin, "/admin");
  await orgAdmin.getByTestId("admin-team-link").click();
  await expect(orgAdmin).toHaveURL(/\/team$/);
  const license = orgAdmin.locator(`[data-testid="team-license-row"][data-email="${orgAdminEmail}"]`);
  await expect(license).toHaveAttribute("data-agent", agent.name);
  await expect(license.getByTestId("team-license-usage")).toHaveText("0 / 1");
  await expect(orgAdmin.getByTestId("team-licenses").getByRole("button", { name: /revoke|edit|suspend/i })).toHaveCount(0);
  await expectAccessible(orgAdmin, "the team page with its licenses");

  // 4. The run page says what the next call counts against: the license while it has a call
  // left, then the pool.
  await open(orgAdmin, `/agents/${agent.id}/run`);
  await expect(orgAdmin.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  const remaining = orgAdmin.getByTestId("remaining");
  await expect(remaining).toHaveAttribute("data-source", "license");
  await expect(remaining).toHaveText("1 call remaining");
  await orgAdmin.getByLabel("Text", { exact: true }).fill("Sharing calls is great.");
  for (const left of [3, 2]) {
    const answered = orgAdmin.waitForResponse((r) => r.url().includes("/api/ui/agents/run"));
    await orgAdmin.getByRole("button", { name: `Run ${agent.name}` }).click();
    expect((await answered).status()).toBe(200);
    await expect(remaining).toHaveAttribute("data-source", "subscription");
    await expect(remaining).toHaveText(`${left} of 3 calls left in the pool`);
  }
});
