import { test, expect } from "@playwright/test";
import {
  adminApi,
  adminEmail,
  adminPassword,
  approveRequest,
  browserErrors,
  catalog,
  focusIsInDialog,
  memberPassword,
  open,
  origin,
  registerOnPage,
  signInOnPage,
  uniqueEmail,
} from "./support/customer";

// The customer's UI: accounts and API keys (issue 4), the marketplace, requests, My Agents and
// running an agent (issue 7). Every test runs against the real server and agent service.

test.afterEach(async ({ page }) => {
  const errors = (browserErrors.get(page) ?? []).filter(
    // A failed server function (e.g. the 429 we provoke on purpose) is logged by Chromium.
    (e) => !/status of (4\d\d|5\d\d)/.test(e),
  );
  expect(errors, "browser errors").toEqual([]);
});

test("issue 4: register, sign out, sign in, create and revoke an API key", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const email = uniqueEmail("keys");
  const name = "Kim Keys";

  // Register: the form validates per field, then signs the new member in.
  await open(page, "/register");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByTestId("register-submit").click();
  await expect(page.locator("#register-password-error")).toHaveText(/at least 10 characters/);
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Password").fill(memberPassword);
  await page.getByTestId("register-submit").click();
  await expect(page).toHaveURL(/\/marketplace$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("account-menu-button")).toContainText(name);
  await expect(page.getByTestId("main-nav").getByRole("link", { name: "My agents" })).toBeVisible();
  await expect(page.getByTestId("nav-admin")).toHaveCount(0);

  // The account menu opens, closes on Escape, and signs out.
  await page.getByTestId("account-menu-button").click();
  await expect(page.getByTestId("account-menu")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("account-menu")).toBeHidden();
  await expect(page.getByTestId("account-menu-button")).toBeFocused();
  await page.getByTestId("account-menu-button").click();
  await page.getByTestId("logout-button").click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("nav-login")).toBeVisible();

  // A wrong password reads the same as an unknown email; then the right one signs in.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not-the-password-1");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("form-error")).toHaveText("The email or password is incorrect.");
  await page.getByLabel("Password").fill(memberPassword);
  await page.getByTestId("login-submit").click();
  await expect(page).toHaveURL(/\/marketplace$/);
  await expect(page.getByTestId("account-menu-button")).toContainText(name);

  // Create a key scoped to one agent, with an expiry: its text is shown once.
  await open(page, "/account");
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await expect(page.getByTestId("keys-empty")).toBeVisible();
  await page.getByTestId("create-key-button").click();
  const dialog = page.getByTestId("create-key-dialog");
  await expect(dialog).toBeVisible();
  await expect(page.getByLabel("Name")).toBeFocused();
  await page.getByTestId("create-key-submit").click();
  await expect(page.locator("#key-name-error")).not.toBeEmpty();
  await page.getByLabel("Name").fill("CI pipeline");
  await expect(page.getByTestId("key-agent").locator("option")).toHaveCount(8);
  await page.getByTestId("key-agent").selectOption({ label: "Sentiment Analyzer" });
  const nextYear = `${new Date().getUTCFullYear() + 1}-06-30`;
  await page.getByLabel("Expires on").fill(nextYear);
  await page.getByTestId("create-key-submit").click();
  await expect(dialog).toBeHidden();
  const keyText = await page.getByTestId("new-key-text").inputValue();
  expect(keyText).toMatch(/^abk_[0-9A-Za-z]{43}$/);
  await page.getByTestId("copy-key").click();
  await expect(page.getByTestId("copy-key")).toHaveText("✓ Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(keyText);

  const row = page.getByTestId("key-row").filter({ hasText: "CI pipeline" });
  await expect(row).toContainText("Sentiment Analyzer");
  await expect(row).toContainText(`${nextYear} 23:59 UTC`);
  await expect(row.getByTestId("key-status")).toHaveText("Active");
  await expect(row).toContainText(keyText.slice(0, 12));

  // The key works for the API; a reload never shows its text again.
  const me = await request.get("/api/auth/me", { headers: { Authorization: `Bearer ${keyText}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(email);
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("key-row")).toHaveCount(1);
  await expect(page.getByTestId("new-key")).toHaveCount(0);
  expect(await page.content()).not.toContain(keyText);

  // Revoke, with a confirmation that can be cancelled.
  await row.getByTestId("revoke-key").click();
  const confirm = page.getByTestId("revoke-key-dialog");
  await expect(confirm).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  await expect(row.getByTestId("key-status")).toHaveText("Active");
  await row.getByTestId("revoke-key").click();
  await page.getByTestId("confirm-revoke").click();
  await expect(confirm).toBeHidden();
  await expect(row.getByTestId("key-status")).toHaveText("Revoked");
  await expect(row.getByTestId("revoke-key")).toHaveCount(0);
  const after = await request.get("/api/auth/me", { headers: { Authorization: `Bearer ${keyText}` } });
  expect(after.status()).toBe(401);
});

test("the header shows what each caller may see", async ({ page, browser }) => {
  await open(page, "/marketplace");
  const nav = page.getByTestId("main-nav");
  await expect(nav.getByRole("link", { name: "Marketplace" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "My agents" })).toHaveCount(0);
  await expect(page.getByTestId("nav-login")).toBeVisible();
  await expect(page.getByTestId("access-button").first()).toContainText("Sign in to request");

  // Pages of one's own show a sign-in prompt to anonymous visitors, never a crash.
  for (const path of ["/my-agents", "/my-requests", "/account"]) {
    await open(page, path);
    await expect(page.getByTestId("sign-in-required")).toBeVisible();
  }

  await registerOnPage(page);
  await open(page, "/marketplace");
  await expect(nav.getByRole("link", { name: "My requests" })).toBeVisible();
  await expect(page.getByTestId("nav-admin")).toHaveCount(0);

  const adminPage = await browser.newPage();
  await signInOnPage(adminPage, adminEmail, adminPassword);
  await open(adminPage, "/marketplace");
  await expect(adminPage.getByTestId("nav-admin")).toBeVisible();
  await adminPage.close();
});

test("issue 7: search and filters narrow the marketplace and live in the URL", async ({ page }) => {
  const admin = await adminApi();
  const agents = await catalog(admin);
  await registerOnPage(page);
  await open(page, "/marketplace");
  await expect(page.getByTestId("agent-card")).toHaveCount(agents.length);

  // Search by name or description.
  await page.getByTestId("marketplace-search").fill("sentiment");
  await expect(page).toHaveURL(/[?&]q=sentiment/);
  await expect(page.getByTestId("agent-card")).toHaveCount(1);
  await expect(page.getByTestId("agent-card")).toContainText("Sentiment Analyzer");
  await page.getByTestId("marketplace-search").fill("holt-winters");
  await expect(page.getByTestId("agent-card")).toHaveCount(1);
  await expect(page.getByTestId("agent-card")).toContainText("Sales Forecast");
  await page.getByTestId("marketplace-search").fill("no agent is called this");
  await expect(page.getByTestId("marketplace-empty")).toBeVisible();
  await page.getByTestId("clear-filters").click();
  await expect(page).toHaveURL(/\/marketplace$/);
  await expect(page.getByTestId("agent-card")).toHaveCount(agents.length);

  // Category.
  const category = agents[0].category;
  await page.getByTestId("filter-category").selectOption(category);
  await expect(page).toHaveURL(new RegExp(`category=${encodeURIComponent(category).replace(/%20/g, "(%20|\\+)")}`));
  const inCategory = agents.filter((a) => a.category === category).length;
  await expect(page.getByTestId("agent-card")).toHaveCount(inCategory);
  for (const badge of await page.getByTestId("category-badge").all()) {
    await expect(badge).toHaveText(category);
  }
  await page.getByTestId("filter-category").selectOption("");
  await expect(page.getByTestId("agent-card")).toHaveCount(agents.length);

  // Price range, in currency units.
  await page.getByTestId("filter-min-price").fill("9");
  await page.getByTestId("filter-min-price").press("Tab");
  await page.getByTestId("filter-max-price").fill("15");
  await page.getByTestId("filter-max-price").press("Tab");
  await expect(page).toHaveURL(/minPrice=9/);
  await expect(page).toHaveURL(/maxPrice=15/);
  const inRange = agents.filter((a) => a.priceCents >= 900 && a.priceCents <= 1500);
  await expect(page.getByTestId("agent-card")).toHaveCount(inRange.length);

  // The filtered view survives a reload and can be shared.
  const shared = page.url();
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("agent-card")).toHaveCount(inRange.length);
  await expect(page.getByTestId("filter-min-price")).toHaveValue("9");
  await open(page, `${new URL(shared).pathname}${new URL(shared).search}&q=lead`);
  await expect(page.getByTestId("agent-card")).toHaveCount(inRange.filter((a) => /lead/i.test(a.name)).length);

  // A range that cannot mean anything says so next to the field.
  await open(page, "/marketplace?minPrice=20&maxPrice=5");
  await expect(page.locator("#filter-max-error")).toHaveText("Must not be below the minimum price.");
  await expect(page.getByTestId("filter-invalid")).toBeVisible();
  await admin.dispose();
});

test("issue 7: request access, approval, My Agents, run from the form until the limit", async ({ page }) => {
  const admin = await adminApi();
  const agents = await catalog(admin);
  const sentiment = agents.find((a) => a.slug === "sentiment")!;
  const { email } = await registerOnPage(page, "runner");

  // The details dialog: long description and features; Tab stays inside; Escape closes it.
  await open(page, "/marketplace?q=sentiment");
  const card = page.getByTestId("agent-card").filter({ hasText: sentiment.name });
  await card.getByTestId("details-toggle").click();
  const details = page.getByTestId("agent-details").filter({ hasText: sentiment.name });
  await expect(details).toBeVisible();
  await expect(details.locator(".features li").first()).toBeVisible();
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    expect(await focusIsInDialog(page)).toBe(true);
  }
  await page.keyboard.press("Shift+Tab");
  expect(await focusIsInDialog(page)).toBe(true);
  await page.keyboard.press("Escape");
  await expect(details).toBeHidden();
  await expect(card.getByTestId("details-toggle")).toBeFocused();

  // Request access: a reason is required; the card turns "Pending" without a reload.
  await card.getByTestId("access-button").click();
  const requestDialog = page.getByTestId("request-dialog").filter({ hasText: sentiment.name });
  await expect(requestDialog).toBeVisible();
  await expect(page.getByTestId("request-reason")).toBeFocused();
  await page.getByTestId("request-submit").click();
  await expect(page.locator("#request-reason-error")).toContainText("must not be empty", { ignoreCase: true });
  await page.getByTestId("request-reason").fill("We triage support tickets by tone.");
  await page.getByTestId("request-submit").click();
  await expect(page.getByTestId("request-sent")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(requestDialog).toBeHidden();
  await expect(card.getByTestId("access-button")).toHaveText(/Pending/);

  // My Requests shows it pending.
  await open(page, "/my-requests");
  const requestRow = page.getByTestId("request-row").filter({ hasText: sentiment.name });
  await expect(requestRow.getByTestId("request-status")).toHaveText("Pending");
  await expect(requestRow).toContainText("We triage support tickets by tone.");

  // The super admin approves it through the REST API with a limit of 2 calls.
  await approveRequest(admin, email, sentiment.id, 2);
  await page.reload();
  await expect(requestRow.getByTestId("request-status")).toHaveText("Approved");

  // My Agents: 0 of 2 used.
  await open(page, "/my-agents");
  const license = page.getByTestId("license-card").filter({ hasText: sentiment.name });
  await expect(license.getByTestId("usage-text")).toHaveText("0 of 2 calls used");
  await expect(license.getByTestId("license-status")).toHaveText("Active");
  await license.getByTestId("run-agent").click();
  await expect(page).toHaveURL(new RegExp(`/agents/${sentiment.id}/run$`));
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("remaining")).toHaveText("2 calls remaining");

  // The generated form: an empty input is refused by the agent and not counted.
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("run-error")).toBeVisible();
  await expect(page.getByTestId("run-error")).toHaveAttribute("data-code", "INVALID_INPUT");
  await expect(page.getByTestId("remaining")).toHaveText("2 calls remaining");

  // A real run: the output is rendered, the raw JSON one click away, the count drops.
  await page.getByLabel("Text", { exact: true }).fill("I love this product. The support team was wonderful!");
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view")).toBeVisible();
  await expect(page.getByTestId("result-view")).toContainText("positive");
  await expect(page.getByTestId("raw-json")).toBeHidden();
  await page.getByTestId("raw-json-toggle").click();
  await expect(page.getByTestId("raw-json")).toContainText('"label": "positive"');
  await expect(page.getByTestId("remaining")).toHaveText("1 call remaining");
  await expect(page.getByTestId("license-summary").getByTestId("usage-text")).toHaveText("1 of 2 calls used");

  await page.getByLabel("Text", { exact: true }).fill("This was a terrible, slow and disappointing experience.");
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view")).toContainText("negative");
  await expect(page.getByTestId("remaining")).toHaveText("0 calls remaining");

  // Past the limit: blocked with a clear message (and a 429, not a 500, on the wire).
  const refused = page.waitForResponse((r) => r.url().includes("/api/ui/agents/run"));
  await page.getByTestId("run-button").click();
  expect((await refused).status()).toBe(429);
  await expect(page.getByTestId("run-error")).toHaveAttribute("data-code", "QUOTA_EXCEEDED");
  await expect(page.getByTestId("run-error")).toContainText("Call limit reached");
  await expect(page.getByTestId("run-error")).toContainText("2 of 2");
  await expect(page.getByTestId("remaining")).toHaveText("0 calls remaining");

  // Recent executions list the two successful runs (and the refused input).
  await expect(page.locator('[data-testid="history-row"][data-status="succeeded"]')).toHaveCount(2);

  // My Agents shows the license exhausted; the marketplace shows "Licensed".
  await open(page, "/my-agents");
  await expect(license.getByTestId("usage-text")).toHaveText("2 of 2 calls used");
  await expect(license.getByTestId("badge-exhausted")).toBeVisible();
  await open(page, "/marketplace?q=sentiment");
  await expect(card.getByTestId("access-button")).toHaveText(/Licensed/);
  await admin.dispose();
});

test("a run page for an agent without a license explains how to get one", async ({ page }) => {
  const admin = await adminApi();
  const agents = await catalog(admin);
  await registerOnPage(page);
  await open(page, `/agents/${agents[0].id}/run`);
  await expect(page.getByTestId("no-license")).toBeVisible();
  await expect(page.getByTestId("history-empty")).toBeVisible();
  await open(page, "/agents/not-an-agent/run");
  await expect(page.getByTestId("error")).toContainText("not in the marketplace");
  await admin.dispose();
});

test("the generated form renders every kind of field the agents use", async ({ page }) => {
  const admin = await adminApi();
  const agents = await catalog(admin);
  const { email } = await registerOnPage(page, "forms");
  for (const slug of ["churn", "email", "forecast", "lead-scoring"]) {
    const agent = agents.find((a) => a.slug === slug)!;
    const res = await page.request.post("/api/marketplace/request-access", {
      data: { agentId: agent.id, requestReason: "form rendering test" },
      headers: origin,
    });
    expect(res.status(), await res.text()).toBe(201);
    await approveRequest(admin, email, agent.id, 5);
  }
  const id = (slug: string) => agents.find((a) => a.slug === slug)!.id;

  // Lists of records (churn's customers), enums as selects, numbers with bounds.
  await open(page, `/agents/${id("churn")}/run`);
  await expect(page.getByTestId("record")).toHaveCount(1);
  await expect(page.getByLabel("Contract")).toHaveValue("0");
  await page.getByRole("button", { name: "Add customer" }).click();
  await expect(page.getByTestId("record")).toHaveCount(2);
  await page.getByTestId("record").nth(1).getByRole("button", { name: /Remove/ }).click();
  await expect(page.getByTestId("record")).toHaveCount(1);
  await page.getByLabel("Tenure Months").fill("900");
  await page.getByTestId("run-button").click();
  await expect(page.locator('[data-field="customers.0.customer_id"] .field-error')).toHaveText("This field is required.");
  await expect(page.locator('[data-field="customers.0.tenure_months"] .field-error')).toHaveText("Must be at most 600.");
  await expect(page.getByTestId("remaining")).toHaveText("5 calls remaining");
  await page.getByLabel("Customer Id").fill("c-1");
  await page.getByLabel("Tenure Months").fill("3");
  await page.getByLabel("Monthly Charges").fill("80");
  await page.getByLabel("Contract").selectOption({ label: "month-to-month" });
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view").locator("table").first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("result-view")).toContainText("c-1");
  await expect(page.getByTestId("remaining")).toHaveText("4 calls remaining");

  // Optional nested objects (email's SMTP settings) and free-form JSON maps.
  await open(page, `/agents/${id("email")}/run`);
  await expect(page.getByLabel("Include smtp")).not.toBeChecked();
  await expect(page.getByLabel("Host")).toBeHidden();
  await page.getByLabel("Include smtp").check();
  await expect(page.getByLabel("Host")).toBeVisible();
  await expect(page.getByLabel("Common Fields")).toBeVisible();

  // Lists of numbers, one per line; "Edit as JSON" carries the form over.
  await open(page, `/agents/${id("forecast")}/run`);
  await page.getByLabel("Series").fill("10\n12\n14\n13\n15\n17\n16\n18\n20\n19\n21\n23");
  await page.getByLabel("Seasonal Period").fill("");
  await page.getByTestId("json-toggle").click();
  await expect(page.getByTestId("run-json")).toHaveValue(/"series": \[\s*10(\.0)?,/);
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view")).toContainText("Forecast", { timeout: 30_000 });

  // Booleans as checkboxes, optional numbers.
  await open(page, `/agents/${id("lead-scoring")}/run`);
  await expect(page.getByLabel("Demo Requested")).toHaveAttribute("type", "checkbox");
  await page.getByLabel("Company Size").fill("250");
  await page.getByLabel("Industry").fill("Software");
  await page.getByLabel("Job Title").fill("VP of Sales");
  await page.getByLabel("Demo Requested").check();
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view")).toContainText("Score", { timeout: 30_000 });
  await admin.dispose();
});
