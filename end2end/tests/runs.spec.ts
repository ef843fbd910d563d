import { test, expect } from "@playwright/test";
import { adminApi, approveRequest, open, origin, registerOnPage } from "./support/customer";

// Issue 17: a long agent run in the background from the run page, with live progress, then its
// result; the runs page lists it. Against the real server and the real agent service.

test("a long agent runs in the background with live progress, then shows its result", async ({ page }) => {
  test.setTimeout(120_000);
  const admin = await adminApi();
  let agent = { id: "", name: "" };
  await expect
    .poll(
      async () => {
        const res = await admin.get("/api/marketplace/agents");
        const items: { id: string; slug: string; name: string }[] = res.ok() ? (await res.json()).items ?? [] : [];
        agent = items.find((a) => a.slug === "batch-lead-scoring") ?? agent;
        return agent.id;
      },
      { timeout: 30_000 },
    )
    .not.toBe("");

  const { email } = await registerOnPage(page, "runner");
  const asked = await page.request.post("/api/marketplace/request-access", {
    data: { agentId: agent.id, requestReason: "Scoring our lead lists in the background." },
    headers: origin,
  });
  expect(asked.status(), await asked.text()).toBe(201);
  await approveRequest(admin, email, agent.id, 5);

  await open(page, `/agents/${agent.id}/run`);
  await expect(page.getByTestId("remaining")).toHaveText("5 calls remaining");
  // 1,000 sample leads paced at 5 ms each: about five seconds, a report every 50 leads.
  await page.getByTestId("json-toggle").click();
  await page.getByTestId("run-json").fill(JSON.stringify({ count: 1000, delay_ms: 5, top: 3 }));
  await page.getByTestId("run-background-button").click();

  const panel = page.getByTestId("background-run");
  await expect(panel).toBeVisible();
  // Progress moves while the run goes on: a report part-way, before the end.
  const progress = panel.getByTestId("background-progress");
  await expect
    .poll(async () => Number((await progress.getAttribute("value")) ?? 0), { timeout: 30_000, intervals: [200] })
    .toBeGreaterThan(0);
  const seen = Number((await progress.getAttribute("value")) ?? 0);
  expect(seen).toBeLessThan(1000);
  await expect(panel.getByTestId("background-progress-text")).toContainText(/of 1000/);

  // The result appears when it has finished; the unit was counted once.
  await expect(panel.getByTestId("background-status")).toHaveText("Succeeded", { timeout: 60_000 });
  await expect(panel.getByTestId("background-result")).toContainText("1000");
  await expect(panel.getByTestId("background-progress-text")).toContainText("1000 of 1000");
  await expect(panel.getByTestId("background-cancel")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("remaining")).toHaveText("4 calls remaining");

  // My agents links to the runs, which list it.
  await open(page, "/my-agents");
  await page.getByTestId("runs-link").click();
  await expect(page).toHaveURL(/\/runs$/);
  const row = page.getByTestId("run-row").filter({ hasText: agent.name });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("Succeeded");
  await expect(row).toContainText("1000 of 1000");
});
