import { test, expect, type Page } from "@playwright/test";
import {
  adminApi,
  adminEmail,
  adminPassword,
  browserErrors,
  catalog,
  open,
  registerOnPage,
  signInOnPage,
} from "./support/customer";

// Issue 14, quota windows, through the UI only: the admin grants a daily license with a time
// zone; the customer runs it to the limit, sees when it resets, asks for a top-up; the admin
// approves; the customer runs again. The server and agent service come from playwright.config.ts.

const ZONE = "Europe/Berlin";

// Every page this spec opens; afterEach checks none of them logged a browser error.
const pages: Page[] = [];

test.afterEach(async () => {
  for (const page of pages.splice(0)) {
    const errors = (browserErrors.get(page) ?? []).filter(
      // A refused server function (the 429 we provoke on purpose) is logged by Chromium.
      (e) => !/status of (4\d\d|5\d\d)/.test(e),
    );
    expect(errors, `browser errors on ${page.url()}`).toEqual([]);
  }
});

/** Seconds left in the current day in `zone`. */
function secondsLeftToday(zone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    hourCycle: "h23",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date());
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return 86_400 - (part("hour") * 3600 + part("minute") * 60 + part("second"));
}

/** Runs the sentiment agent once from the run page's form and waits for the server's answer. */
async function runOnce(page: Page, agentName: string, text: string): Promise<number> {
  await page.getByLabel("Text", { exact: true }).fill(text);
  const answered = page.waitForResponse((r) => r.url().includes("/api/ui/agents/run"));
  await page.getByRole("button", { name: `Run ${agentName}` }).click();
  return (await answered).status();
}

test("a daily license with a time zone runs to its limit, says when it resets, and a top-up lets the customer run again", async ({
  page,
  browser,
}) => {
  // The whole story must happen on one Berlin day: a window that turned midway would reset
  // the count. Close to midnight there, wait for the new day.
  test.setTimeout(180_000);
  const left = secondsLeftToday(ZONE);
  if (left < 90) await new Promise((resolve) => setTimeout(resolve, (left + 5) * 1000));

  const api = await adminApi();
  const sentiment = (await catalog(api)).find((a) => a.slug === "sentiment")!;
  await api.dispose();
  const name = sentiment.name;

  // A fresh customer, signed in on `page`.
  const { email } = await registerOnPage(page, "quota-day");
  const me = await (await page.request.get("/api/auth/me")).json();
  pages.push(page);

  // The super admin, in a browser context of their own.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  pages.push(admin);
  await signInOnPage(admin, adminEmail, adminPassword);

  // 1. The admin grants 2 calls per day, counted in Europe/Berlin, from the Licenses tab.
  await open(admin, "/admin/licenses");
  const grant = admin.getByRole("dialog", { name: "Grant a license" });
  // The dialog is drawn in the browser only: retry the click until the tab has hydrated.
  await expect(async () => {
    await admin.getByRole("region", { name: "Licenses" }).getByRole("button", { name: "Grant license" }).click();
    await expect(grant).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await grant.getByLabel("Search user").fill(email);
  await grant.getByLabel("User", { exact: true }).selectOption(me.id);
  await grant.getByLabel("Search agent").fill(name);
  await grant.getByLabel("Agent", { exact: true }).selectOption(sentiment.id);
  await grant.getByLabel("Call limit").fill("2");
  await grant.getByLabel("Window", { exact: true }).selectOption("day");
  // The reset day only matters for a month: hidden for a day.
  await expect(grant.getByLabel("Reset day")).toBeHidden();
  await grant.getByLabel("Time zone").fill(ZONE);
  await grant.getByRole("button", { name: "Grant license" }).click();
  await expect(grant).toBeHidden();
  await expect(admin.getByRole("status").filter({ hasText: "Granted" })).toContainText(
    `Granted ${name} to ${email} (2 calls per day).`,
  );
  const licenseRow = admin.getByRole("row").filter({ hasText: email });
  await expect(licenseRow).toHaveCount(1);
  await expect(licenseRow.getByRole("cell").filter({ hasText: "/day" })).toHaveText(`2/day, ${ZONE}`);

  // 2. The customer runs it twice from the run page.
  await open(page, `/agents/${sentiment.id}/run`);
  await expect(page.getByTestId("remaining")).toHaveText("2 calls left today");
  await expect(page.getByTestId("quota-text")).toHaveText(`2 calls left today, resets at 00:00 ${ZONE}`);
  expect(await runOnce(page, name, "I love this product. The support team was wonderful!")).toBe(200);
  await expect(page.getByTestId("result-view")).toContainText("positive");
  await expect(page.getByTestId("remaining")).toHaveText("1 call left today");
  expect(await runOnce(page, name, "This was a terrible, slow and disappointing experience.")).toBe(200);
  await expect(page.getByTestId("result-view")).toContainText("negative");
  await expect(page.getByTestId("remaining")).toHaveText("0 calls left today");

  // The third is refused with a 429: the quota message says the day is used up and when it
  // resets (in UTC: midnight in Berlin is 22:00 or 23:00 UTC).
  expect(await runOnce(page, name, "A third call, one too many today.")).toBe(429);
  const refused = page.getByRole("alert").filter({ hasText: "Call limit reached" });
  await expect(refused).toBeVisible();
  await expect(refused).toHaveAttribute("data-code", "QUOTA_EXCEEDED");
  await expect(refused).toContainText("You have used 2 of 2 calls today.");
  await expect(refused).toContainText(/resets in (\d+ h )?\d+ min \(at \d{4}-\d\d-\d\d (22|23):00 UTC\)/);
  await expect(page.getByTestId("remaining")).toHaveText("0 calls left today");
  await expect(page.getByTestId("quota-text")).toHaveText(`0 calls left today, resets at 00:00 ${ZONE}`);
  await expect(page.getByTestId("license-summary")).toContainText("Limit reached");

  // 3. On My Agents the customer asks for 5 more calls, with a reason.
  await open(page, "/my-agents");
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name }) });
  await expect(card.getByTestId("quota-text")).toHaveText(`0 calls left today, resets at 00:00 ${ZONE}`);
  await expect(card.getByRole("progressbar", { name: `Usage of ${name}` })).toHaveAttribute("aria-valuenow", "2");
  await card.getByRole("button", { name: `Ask for more calls of ${name}` }).click();
  const ask = page.getByRole("dialog", { name: `Ask for more calls of ${name}` });
  await expect(ask).toBeVisible();
  await expect(ask.getByLabel("Calls wanted")).toBeFocused();
  await ask.getByLabel("Calls wanted").fill("5");
  await ask.getByLabel("Reason").fill("A product launch today needs a few more sentiment checks.");
  await ask.getByRole("button", { name: "Ask for more" }).click();
  await expect(ask.getByRole("status")).toContainText("Request sent.");
  await ask.getByRole("button", { name: "Done" }).click();
  await expect(ask).toBeHidden();
  await expect(card.getByText("More calls requested")).toBeVisible();
  await expect(card.getByRole("button", { name: `Ask for more calls of ${name}` })).toBeHidden();

  // 4. The admin sees the request for more calls under Access requests and approves it with
  //    a top-up of 5 calls to today's window.
  await open(admin, "/admin/requests");
  const requestRow = admin.getByRole("row").filter({ hasText: email });
  await expect(requestRow).toHaveCount(1);
  await expect(requestRow).toContainText("More calls");
  await expect(requestRow).toContainText("5 calls");
  await expect(requestRow).toContainText("A product launch today needs a few more sentiment checks.");
  const approve = admin.getByRole("dialog", { name: "Approve the request" });
  await expect(async () => {
    await requestRow.getByRole("button", { name: `Approve ${email} for ${name}` }).click();
    await expect(approve).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(approve).toContainText(`${email} asks for 5 more calls of ${name}`);
  await expect(approve.getByLabel("Raise the limit")).not.toBeChecked();
  await expect(approve.getByLabel("Add calls to this window")).toBeChecked();
  await expect(approve.getByLabel("Calls to add")).toHaveValue("5");
  await approve.getByLabel("Calls to add").fill("5");
  await approve.getByRole("button", { name: "Approve and grant" }).click();
  await expect(approve).toBeHidden();
  await expect(admin.getByRole("status").filter({ hasText: "Approved" })).toContainText(
    `Approved: ${email} now has 2 calls per day for ${name}, 5 added to this window.`,
  );
  await expect(requestRow).toContainText(/approved/i);
  await expect(requestRow.getByRole("button", { name: /^Approve / })).toHaveCount(0);

  // The Licenses tab shows the top-up next to the usage.
  await open(admin, "/admin/licenses");
  await expect(licenseRow.getByRole("cell").filter({ hasText: "/ 2" })).toContainText("2 / 2 (+5 added)");

  // 5. The customer has 5 calls left today and runs again.
  await open(page, "/my-agents");
  await expect(card.getByTestId("quota-text")).toHaveText(`5 calls left today, resets at 00:00 ${ZONE}`);
  await expect(card.getByText("More calls requested")).toHaveCount(0);
  await card.getByRole("link", { name: `Run ${name}` }).click();
  await expect(page).toHaveURL(new RegExp(`/agents/${sentiment.id}/run$`));
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
  await expect(page.getByTestId("remaining")).toHaveText("5 calls left today");
  expect(await runOnce(page, name, "Thanks for the extra calls, this is great!")).toBe(200);
  await expect(page.getByTestId("result-view")).toContainText("positive");
  await expect(page.getByTestId("remaining")).toHaveText("4 calls left today");
  await expect(page.getByTestId("quota-text")).toHaveText(`4 calls left today, resets at 00:00 ${ZONE}`);
  await expect(page.locator('[data-testid="history-row"][data-status="succeeded"]')).toHaveCount(3);

  // The decision is under My requests.
  await open(page, "/my-requests");
  const mine = page.getByRole("row").filter({ hasText: "More calls: 5 calls" });
  await expect(mine.getByTestId("request-status")).toHaveText("Approved");

  await adminContext.close();
});
