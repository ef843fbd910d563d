// An agent service and a server of a test's own, on ports of their own, for the tests that stop
// or restart the agent service: doing that to the shared ones (playwright.config.ts) would
// disturb every other test.
import { expect, request as playwrightRequest, type APIRequestContext, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adminEmail, adminPassword } from "./customer";

const root = path.resolve(__dirname, "..", "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, "target");

function start(command: string, args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  // Its own process group, so the service's worker processes stop with it.
  return spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: "ignore" });
}

function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

async function healthOf(url: string): Promise<number> {
  const ctx = await playwrightRequest.newContext();
  try {
    return (await ctx.get(url).catch(() => null))?.status() ?? 0;
  } finally {
    await ctx.dispose();
  }
}

export class OwnStack {
  readonly base: string;
  private readonly agentHealth: string;
  private agents: ChildProcess | undefined;
  private server: ChildProcess | undefined;

  /** `name` names the data directory and database; `secret` is the one server and agents share. */
  constructor(
    private readonly name: string,
    private readonly agentPort: number,
    serverPort: number,
    private readonly secret: string,
  ) {
    this.base = `http://127.0.0.1:${serverPort}`;
    this.agentHealth = `http://127.0.0.1:${agentPort}/health`;
  }

  /** Starts the agent service (with `agentSecret`, the shared secret unless told) and waits until it is healthy. */
  async startAgents(agentSecret: string = this.secret) {
    this.agents = start(
      path.join(root, "python-agents", ".venv", "bin", "uvicorn"),
      ["service.main:app", "--host", "127.0.0.1", "--port", String(this.agentPort), "--log-level", "warning"],
      path.join(root, "python-agents"),
      { AGENT_SERVICE_SECRET: agentSecret },
    );
    await expect.poll(() => healthOf(this.agentHealth), { timeout: 60_000, intervals: [500] }).toBe(200);
  }

  /** Kills the agent service and waits until it no longer answers. */
  async killAgents() {
    stop(this.agents, "SIGKILL");
    await expect.poll(() => healthOf(this.agentHealth)).toBe(0);
  }

  /** Starts the server on a new SQLite database, publishing what it syncs, and waits until it is healthy. */
  async startServer() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `abetworks-${this.name}-`));
    this.server = start(path.join(targetDir, "debug", "server"), [], root, {
      DATABASE_URL: `sqlite://${path.join(dataDir, `${this.name}.sqlite`)}?mode=rwc`,
      LEPTOS_SITE_ADDR: new URL(this.base).host,
      LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
      AGENT_SERVICE_URL: `http://127.0.0.1:${this.agentPort}`,
      AGENT_SERVICE_SECRET: this.secret,
      // Publishes the agents it syncs, as the main e2e server does.
      ABETWORKS_DEMO_DATA: "true",
      ABETWORKS_ADMIN_EMAIL: adminEmail,
      ABETWORKS_ADMIN_PASSWORD: adminPassword,
      RUST_LOG: "error",
    });
    await expect.poll(() => healthOf(`${this.base}/healthz`), { timeout: 60_000, intervals: [500] }).toBe(200);
  }

  /** Stops both (for test.afterAll). */
  stop() {
    stop(this.agents, "SIGKILL");
    stop(this.server);
  }

  /** A REST client for this server, sending its Origin as state-changing calls need. */
  api(): Promise<APIRequestContext> {
    return playwrightRequest.newContext({ baseURL: this.base, extraHTTPHeaders: { Origin: this.base } });
  }

  /** A REST client signed in as the super admin. */
  async adminApi(): Promise<APIRequestContext> {
    const admin = await this.api();
    expect((await admin.post("/api/auth/login", { data: { email: adminEmail, password: adminPassword } })).status()).toBe(200);
    return admin;
  }

  /** Signs the page in as the super admin. */
  async signInAsAdmin(page: Page) {
    const signedIn = await page.request.post("/api/auth/login", {
      data: { email: adminEmail, password: adminPassword },
      headers: { Origin: this.base },
    });
    expect(signedIn.status(), await signedIn.text()).toBe(200);
  }

  /** The id of the agent `slug` once the server has synced and published it. */
  async agentId(admin: APIRequestContext, slug: string): Promise<string> {
    let id = "";
    await expect
      .poll(async () => {
        const items: { id: string; slug: string }[] = (await (await admin.get("/api/marketplace/agents")).json()).items ?? [];
        id = items.find((a) => a.slug === slug)?.id ?? "";
        return id;
      }, { timeout: 60_000 })
      .not.toBe("");
    return id;
  }

  /**
   * Registers `member` through `client` (signing the client in), asks for `agentId` giving
   * `reason`, and has `admin` approve it with `limit` calls.
   */
  async licensedMember(
    client: APIRequestContext,
    admin: APIRequestContext,
    member: { email: string; password: string; name: string },
    agentId: string,
    reason: string,
    limit: number,
  ) {
    const headers = { Origin: this.base };
    const registered = await client.post("/api/auth/register", { data: member, headers });
    expect(registered.status(), await registered.text()).toBe(201);
    const asked = await client.post("/api/marketplace/request-access", { data: { agentId, requestReason: reason }, headers });
    expect(asked.status(), await asked.text()).toBe(201);
    const approved = await admin.post(`/api/admin/access-requests/${(await asked.json()).id}/approve`, {
      data: { apiCallLimit: limit },
    });
    expect(approved.status(), await approved.text()).toBe(200);
  }
}
