import { test, expect, request as playwrightRequest } from "@playwright/test";
import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import {
  adminEmail,
  adminPassword,
  baseURL,
  browserErrors,
  catalog,
  memberPassword,
  open,
  origin,
  signInOnPage,
  uniqueEmail,
} from "./support/customer";

// The super admin's Webhooks tab, issue 15: an endpoint added in the UI shows its secret once,
// receives a signed event (checked here with Node's own HMAC), is retried after a failure, and
// its delivery log shows the attempts and redelivers. The e2e server allows loopback webhook
// URLs and retries after half a second (playwright.config.ts).

type Received = { id: string; timestamp: string; signature: string; body: string };

/** A receiver on loopback that answers 500 to the first `failFirst` requests of each event
 * (by `webhook-id`), then 204. */
async function receiver(failFirst: number) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      got.push({
        id: String(req.headers["webhook-id"] ?? ""),
        timestamp: String(req.headers["webhook-timestamp"] ?? ""),
        signature: String(req.headers["webhook-signature"] ?? ""),
        body,
      });
      const seen = got.filter((hit) => hit.id === req.headers["webhook-id"]).length;
      res.statusCode = seen <= failFirst ? 500 : 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { got, server, url: `http://127.0.0.1:${port}/hooks/abetworks` };
}

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed by the
 * base64 after `whsec_`. */
function signedWith(secret: string, hit: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = crypto.createHmac("sha256", key).update(`${hit.id}.${hit.timestamp}.${hit.body}`).digest("base64");
  return hit.signature.split(" ").includes(`v1,${expected}`);
}

test("an endpoint added in the Webhooks tab shows its secret once, gets a signed event after a retry, and redelivers", async ({
  page,
}) => {
  const hook = await receiver(1);
  try {
    await signInOnPage(page, adminEmail, adminPassword);
    await open(page, "/admin?tab=webhooks");
    await expect(page.getByTestId("webhooks-tab")).toBeVisible();

    await page.getByTestId("webhook-create").click();
    await page.getByTestId("webhook-url").fill(hook.url);
    await page.getByTestId("webhook-event-access_request.created").check();
    await page.getByTestId("webhook-description").fill("E2E receiver");
    await page.getByTestId("webhook-create-submit").click();
    await expect(page.getByTestId("webhook-secret")).toBeVisible();
    const secret = await page.getByTestId("webhook-secret-text").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const row = page.locator(`[data-testid="webhook-row"][data-url="${hook.url}"]`);
    await expect(row).toHaveAttribute("data-status", "active");

    // A member asks for access: the event the endpoint wants.
    const member = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: origin });
    const email = uniqueEmail("webhook");
    const registered = await member.post("/api/auth/register", {
      data: { email, password: memberPassword, name: "E2E webhook member" },
    });
    expect(registered.status(), await registered.text()).toBe(201);
    const agent = (await catalog(member))[0];
    const asked = await member.post("/api/marketplace/request-access", {
      data: { agentId: agent.id, requestReason: "To see the webhook arrive" },
    });
    expect(asked.status(), await asked.text()).toBe(201);

    // Refused once (500), then accepted: the same event, signed, both times. (Other specs'
    // requests may arrive too: only the member's counts.)
    const mine = () => hook.got.filter((hit) => JSON.parse(hit.body).data?.userEmail === email);
    await expect.poll(() => mine().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const [first, second] = mine();
    expect(second.id).toBe(first.id);
    for (const hit of [first, second]) expect(signedWith(secret, hit)).toBe(true);
    const event = JSON.parse(second.body);
    expect(event.type).toBe("access_request.created");
    expect(event.data.agentId).toBe(agent.id);

    // The delivery log: succeeded after two attempts with the receiver's 204.
    await row.getByTestId("webhook-deliveries").click();
    const delivery = page.getByTestId("delivery-row").filter({ hasText: first.id });
    await expect(delivery).toHaveAttribute("data-status", "succeeded", { timeout: 15_000 });
    await expect(delivery.locator('td[data-label="Attempts"]')).toHaveText("2");
    await expect(delivery.locator('td[data-label="Response"]')).toHaveText("204");

    // Redeliver sends the same event again.
    await delivery.getByTestId("delivery-redeliver").click();
    await expect.poll(() => mine().length, { timeout: 30_000 }).toBe(3);
    expect(mine()[2].id).toBe(first.id);
    expect(signedWith(secret, mine()[2])).toBe(true);

    // The secret is not shown again.
    await open(page, "/admin?tab=webhooks");
    await expect(page.locator(`[data-testid="webhook-row"][data-url="${hook.url}"]`)).toBeVisible();
    await expect(page.getByTestId("webhook-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    // Deleted with confirmation, it is gone.
    await page.locator(`[data-testid="webhook-row"][data-url="${hook.url}"]`).getByTestId("webhook-delete").click();
    await page.getByTestId("webhook-delete-confirm").click();
    await expect(page.locator(`[data-testid="webhook-row"][data-url="${hook.url}"]`)).toHaveCount(0);
    expect(browserErrors.get(page) ?? []).toEqual([]);
  } finally {
    hook.server.close();
  }
});
