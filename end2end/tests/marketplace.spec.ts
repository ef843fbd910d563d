import { test, expect, type ConsoleMessage } from "@playwright/test";

test("the marketplace is rendered on the server and lists the synced agents", async ({ request }) => {
  // The server syncs the catalog from the agent service in the background at start-up.
  await expect
    .poll(async () => {
      const html = await (await request.get("/marketplace")).text();
      return (html.match(/data-testid="agent-card"/g) || []).length;
    }, { timeout: 30_000 })
    .toBe(7);
});

test("the page hydrates: the details dialog and the theme toggle work only with WASM", async ({ page }) => {
  const errors: string[] = [];
  page.on("console", (msg: ConsoleMessage) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));

  await page.goto("/marketplace");
  const card = page.getByTestId("agent-card").first();
  await expect(card).toBeVisible();
  const details = card.getByTestId("agent-details");
  await expect(details).toBeHidden();

  // Before hydration the click does nothing; poll until the WASM handler takes it.
  await expect(async () => {
    await card.getByTestId("details-toggle").click();
    await expect(details).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await page.keyboard.press("Escape");
  await expect(details).toBeHidden();
  await expect(card.getByTestId("details-toggle")).toBeFocused();

  const html = page.locator("html");
  const before = await html.getAttribute("data-theme");
  await page.getByTestId("theme-toggle").click();
  await expect(html).not.toHaveAttribute("data-theme", before ?? "");
  await page.reload();
  await expect(html).not.toHaveAttribute("data-theme", before ?? "");

  expect(errors).toEqual([]);
});

test("search narrows the marketplace to matching agents", async ({ page }) => {
  await page.goto("/marketplace");
  await expect(page.getByTestId("agent-card")).toHaveCount(7);
  await expect(async () => {
    await page.getByTestId("marketplace-search").fill("sentiment");
    await expect(page.getByTestId("agent-card")).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await page.getByTestId("marketplace-search").fill("no agent is called this");
  await expect(page.getByTestId("marketplace-empty")).toBeVisible();
});

test("health and readiness answer, and readiness reports the agent service", async ({ request }) => {
  expect((await request.get("/healthz")).status()).toBe(200);
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toMatchObject({ database: "ok", agentService: "ok" });
});
