import { test, expect } from "@playwright/test";
import { memberPassword } from "./support/customer";
import { OwnStack } from "./support/stack";

// No page crashes when the agent service is down. This test starts its own agent service and
// server (so stopping the service does not disturb the other tests), licenses a member, stops
// the agent service, and walks the customer pages.

const stack = new OwnStack(
  "down",
  Number(process.env.E2E_DOWN_AGENT_PORT || 8111),
  Number(process.env.E2E_DOWN_SERVER_PORT || 3111),
  "e2e-down-secret-0123456789",
);

test.afterAll(() => stack.stop());

test("every customer page still works, and a run says so, when the agent service is down", async ({ browser }) => {
  test.setTimeout(180_000);
  await stack.startAgents();
  await stack.startServer();
  const admin = await stack.adminApi();
  const sentimentId = await stack.agentId(admin, "sentiment");

  // A member licensed for 3 calls, with one success before the outage.
  const context = await browser.newContext({ baseURL: stack.base });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    // The refused run's 503 is logged by Chromium as a failed resource load; anything else counts.
    if (m.type() === "error" && !/status of 5\d\d/.test(m.text())) errors.push(m.text());
  });
  const member = { email: `down-${Date.now()}@e2e.abetworks.local`, password: memberPassword, name: "Dana Down" };
  await stack.licensedMember(page.request, admin, member, sentimentId, "outage drill", 3);

  // The outage: the service dies.
  await stack.killAgents();

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
