import { test, expect, type Browser, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  adminEmail,
  adminPassword,
  adminApi,
  approveRequest,
  catalog,
  memberPassword,
  open,
  origin,
  signInOnPage,
} from "./support/customer";

// The pictures in docs/guide-*.md, taken from the real app so they never drift from it.
// `DOCS_SCREENSHOTS=1 npx playwright test docs-screenshots` rewrites docs/images/*.png; without
// DOCS_SCREENSHOTS (as in `make test`) the same screens are drawn and checked, and the pictures
// go to the git-ignored end2end/screenshots/docs/, so a test run never changes tracked files.
// One desktop size, light theme, the viewport only (not the full page): small files.

const imagesDir = process.env.DOCS_SCREENSHOTS
  ? path.join(__dirname, "..", "..", "docs", "images")
  : path.join(__dirname, "..", "screenshots", "docs");
const viewport = { width: 1280, height: 800 };

async function shoot(page: Page, name: string) {
  // Let fonts, charts and transitions settle so reruns give the same picture.
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(imagesDir, `${name}.png`), type: "png" });
}

/** Opens `route`, waits for the first element with `testId`, and takes the picture `name`. */
async function shootWhenShown(page: Page, route: string, testId: string, name: string) {
  await open(page, route);
  await expect(page.getByTestId(testId).first()).toBeVisible();
  await shoot(page, name);
}

/** A browser context of the pictures' size in the light theme, and a page in it. */
async function lightPage(browser: Browser) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(() => localStorage.setItem("abetworks-theme", "light"));
  return { context, page: await context.newPage() };
}

test("screenshots for the guides", async ({ browser }) => {
  test.setTimeout(240_000);
  fs.mkdirSync(imagesDir, { recursive: true });
  const admin = await adminApi();
  const agents = await catalog(admin);
  const bySlug = (slug: string) => agents.find((a) => a.slug === slug)!;
  const sentiment = bySlug("sentiment");
  const churn = bySlug("churn");
  const leadScoring = bySlug("lead-scoring");

  // A member with a license in use, a pending request and a failed call (for the error log).
  const { context, page } = await lightPage(browser);
  // A readable name for the pictures; another address when the server already has this one.
  const register = (email: string) =>
    page.request.post("/api/auth/register", {
      data: { email, password: memberPassword, name: "Ada Lovelace" },
      headers: origin,
    });
  let email = "ada@example.com";
  let registered = await register(email);
  if (registered.status() === 409) {
    email = `ada.${Date.now()}@example.com`;
    registered = await register(email);
  }
  expect(registered.status(), await registered.text()).toBe(201);
  for (const agent of [sentiment, churn, leadScoring]) {
    const res = await page.request.post("/api/marketplace/request-access", {
      data: { agentId: agent.id, requestReason: "Weekly review of customer feedback." },
      headers: origin,
    });
    expect(res.status(), await res.text()).toBe(201);
  }
  await approveRequest(admin, email, sentiment.id, 20);
  await approveRequest(admin, email, churn.id, 5);
  for (const text of ["Great service, quick answers.", "The update broke my reports.", "Fine, I guess."]) {
    const run = await page.request.post(`/api/agents/${sentiment.id}/execute`, {
      data: { input: { text } },
      headers: origin,
    });
    expect(run.status(), await run.text()).toBe(200);
  }
  const refused = await page.request.post(`/api/agents/${churn.id}/execute`, {
    data: { input: { customers: "not a list" } },
    headers: origin,
  });
  expect(refused.status(), await refused.text()).toBe(422);

  // The member's screens.
  await shootWhenShown(page, "/marketplace", "access-button", "marketplace");
  await shootWhenShown(page, "/my-agents", "license-card", "my-agents");

  await open(page, `/agents/${sentiment.id}/run`);
  await page.getByLabel("Text", { exact: true }).fill("The new release is fast and lovely. Setup was a bit confusing.");
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-view")).toBeVisible();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, "run-result");
  // The two approvals, in the notification centre (the bell counts them in the header).
  await shootWhenShown(page, "/notifications", "notification", "notifications");
  await context.close();

  // The super admin's dashboard.
  const { context: adminContext, page: adminPage } = await lightPage(browser);
  await signInOnPage(adminPage, adminEmail, adminPassword);

  await shootWhenShown(adminPage, "/admin/licenses", "license-row", "admin-licenses");
  await shootWhenShown(adminPage, "/admin/requests", "admin-request-row", "admin-requests");

  await open(adminPage, "/admin/analytics");
  for (const id of ["chart-trend", "chart-agents", "chart-users"]) {
    await expect(adminPage.locator(`#${id} canvas`)).toHaveCount(1, { timeout: 20_000 });
  }
  await shoot(adminPage, "admin-analytics");

  await open(adminPage, "/admin/errors");
  await expect(adminPage.getByTestId("error-row").first()).toBeVisible();
  await adminPage.getByTestId("error-row").first().getByTestId("error-expand").click();
  await expect(adminPage.locator(".details-row").first()).toBeVisible();
  await shoot(adminPage, "admin-errors");

  await admin.dispose();
  await adminContext.close();
});
