import { test, expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import * as fs from "node:fs";
import * as path from "node:path";
import { adminApi, approveRequest, catalog, open, origin, registerOnPage } from "./support/customer";

// Screenshots of every customer page at phone and desktop sizes, light and dark, into
// end2end/screenshots/ (git-ignored), and an axe check of each: no serious or critical issues.

const shotsDir = path.join(__dirname, "..", "screenshots");
const viewports = [
  { name: "390x844", width: 390, height: 844 },
  { name: "1440x900", width: 1440, height: 900 },
];
const themes = ["light", "dark"] as const;

async function axeCheck(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
  expect(summary, `axe on ${label}`).toEqual([]);
}

for (const theme of themes) {
  test(`screenshots and axe of every customer page (${theme})`, async ({ browser }) => {
    test.setTimeout(300_000);
    fs.mkdirSync(shotsDir, { recursive: true });
    const admin = await adminApi();
    const agents = await catalog(admin);
    const sentiment = agents.find((a) => a.slug === "sentiment")!;
    const churn = agents.find((a) => a.slug === "churn")!;

    const context = await browser.newContext();
    await context.addInitScript((t) => localStorage.setItem("abetworks-theme", t), theme);
    const page = await context.newPage();

    // Anonymous pages first.
    const anonymous = ["/marketplace", "/login", "/register"];
    const capture = async (route: string, name: string, prepare?: () => Promise<void>) => {
      for (const vp of viewports) {
        await page.setViewportSize({ width: vp.width, height: vp.height });
        await open(page, route);
        await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
        if (prepare) await prepare();
        await page.waitForTimeout(150);
        await page.screenshot({ path: path.join(shotsDir, `${name}-${vp.name}-${theme}.png`), fullPage: true });
        // Nothing may overflow the phone's width.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${name} at ${vp.name} is wider than the screen`).toBeLessThanOrEqual(1);
        await axeCheck(page, `${name} ${vp.name} ${theme}`);
      }
    };
    for (const route of anonymous) {
      await capture(route, route.slice(1));
    }

    // A member with a pending request, a license that has been used, and an API key.
    const { email } = await registerOnPage(page, `shots-${theme}`);
    for (const agent of [sentiment, churn]) {
      const res = await page.request.post("/api/marketplace/request-access", {
        data: { agentId: agent.id, requestReason: "Screenshots of the customer pages." },
        headers: origin,
      });
      expect(res.status(), await res.text()).toBe(201);
    }
    await approveRequest(admin, email, sentiment.id, 10);
    const run = await page.request.post(`/api/agents/${sentiment.id}/execute`, {
      data: { input: { text: "Great service, quick answers. Thank you!" } },
      headers: origin,
    });
    expect(run.status(), await run.text()).toBe(200);
    const key = await page.request.post("/api/keys", { data: { name: "Reporting job" }, headers: origin });
    expect(key.status(), await key.text()).toBe(201);

    await capture("/marketplace", "marketplace-member");
    await capture("/marketplace?q=sentiment", "marketplace-details", async () => {
      await page.getByTestId("details-toggle").first().click();
      await expect(page.locator("dialog[open]")).toBeVisible();
    });
    await capture("/marketplace?category=Sales", "marketplace-request", async () => {
      await page.getByTestId("access-button").first().click();
      await expect(page.getByTestId("request-reason")).toBeVisible();
    });
    await capture("/my-requests", "my-requests");
    await capture("/my-agents", "my-agents");
    await capture("/account", "account");
    await capture("/account", "account-menu", async () => {
      await page.getByTestId("account-menu-button").click();
      await expect(page.getByTestId("account-menu")).toBeVisible();
    });
    await capture(`/agents/${sentiment.id}/run`, "run", async () => {
      await page.getByLabel("Text", { exact: true }).fill("The new release is fast and lovely. Setup was a bit confusing.");
      await page.getByTestId("run-button").click();
      await expect(page.getByTestId("result-view")).toBeVisible();
    });
    await capture(`/agents/${churn.id}/run`, "run-no-license");
    await admin.dispose();
    await context.close();
  });
}
