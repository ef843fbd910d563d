// Helpers for the customer-facing UI tests (issues 4 and 7). The server and the agent service
// come from playwright.config.ts.
import { expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";

export const adminEmail = "admin@e2e.abetworks.local";
export const adminPassword = "e2e-admin-password-1";
export const memberPassword = "e2e-member-password-1";
export const baseURL = `http://127.0.0.1:${Number(process.env.E2E_SERVER_PORT || 3100)}`;
export const origin = { Origin: baseURL };

let seq = 0;
export function uniqueEmail(kind: string): string {
  seq += 1;
  return `${kind}-${Date.now()}-${seq}@e2e.abetworks.local`;
}

export type Agent = { id: string; slug: string; name: string; category: string; priceCents: number };

/** A REST client signed in as the super admin (state-changing calls need the Origin header). */
export async function adminApi(): Promise<APIRequestContext> {
  const ctx = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: origin });
  const res = await ctx.post("/api/auth/login", { data: { email: adminEmail, password: adminPassword } });
  expect(res.status(), await res.text()).toBe(200);
  return ctx;
}

/** The synced catalog (the server syncs it from the agent service shortly after start-up). */
export async function catalog(ctx: APIRequestContext): Promise<Agent[]> {
  let items: Agent[] = [];
  await expect
    .poll(async () => {
      const res = await ctx.get("/api/marketplace/agents");
      items = res.ok() ? (await res.json()).items ?? [] : [];
      return items.length;
    }, { timeout: 30_000 })
    .toBe(7);
  return items;
}

/** Registers a member through the API on the page's own cookie jar: the page is signed in. */
export async function registerOnPage(page: Page, kind = "member"): Promise<{ email: string; name: string }> {
  const email = uniqueEmail(kind);
  const name = `E2E ${kind} ${seq}`;
  const res = await page.request.post("/api/auth/register", {
    data: { email, password: memberPassword, name },
    headers: origin,
  });
  expect(res.status(), await res.text()).toBe(201);
  return { email, name };
}

export async function signInOnPage(page: Page, email: string, password: string) {
  const res = await page.request.post("/api/auth/login", { data: { email, password }, headers: origin });
  expect(res.status(), await res.text()).toBe(200);
}

const watched = new WeakSet<Page>();
export const browserErrors = new WeakMap<Page, string[]>();

/** Opens a page and waits until the WASM has hydrated it; collects browser errors. */
export async function open(page: Page, path: string) {
  if (!watched.has(page)) {
    watched.add(page);
    const errors: string[] = [];
    browserErrors.set(page, errors);
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
  }
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 30_000 });
}

/** Approves the member's pending request for `agentId` with `limit` calls, as the super admin. */
export async function approveRequest(admin: APIRequestContext, email: string, agentId: string, limit: number) {
  let requestId = "";
  await expect
    .poll(async () => {
      const res = await admin.get("/api/admin/access-requests?status=pending&pageSize=100");
      expect(res.status(), await res.text()).toBe(200);
      const items: { id: string; userEmail: string; agentId: string }[] = (await res.json()).items;
      requestId = items.find((r) => r.userEmail === email && r.agentId === agentId)?.id ?? "";
      return requestId;
    })
    .not.toBe("");
  const res = await admin.post(`/api/admin/access-requests/${requestId}/approve`, { data: { apiCallLimit: limit } });
  expect(res.status(), await res.text()).toBe(200);
}

/** The active element is inside the open dialog. */
export async function focusIsInDialog(page: Page): Promise<boolean> {
  return page.evaluate(() => !!document.activeElement?.closest("dialog[open]"));
}
