// End-to-end test of the admin UI in Debian's headless Chromium, driven by
// playwright-core (no downloaded browser). admin_e2e_test.go starts the
// engine and a test SMTP server, then runs this with:
//   ORQ_URL, ORQ_ADMIN_TOKEN, ORQ_SMTP_HOST, ORQ_SMTP_PORT, ORQ_RECIPIENT,
//   ORQ_SHOTS (screenshot folder), ORQ_RESULT (file for results as JSON)
// and checks afterwards that the emails arrived.
import { chromium } from "playwright-core";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const base = env("ORQ_URL");
const token = env("ORQ_ADMIN_TOKEN");
const recipient = env("ORQ_RECIPIENT", "ops@example.test");
const shots = env("ORQ_SHOTS", mkdtempSync(join(tmpdir(), "orq-shots-")));
const smtpHost = process.env.ORQ_SMTP_HOST;
const smtpPort = process.env.ORQ_SMTP_PORT;
mkdirSync(shots, { recursive: true });

const result = {};
let step = 0;
const t0 = Date.now();
const log = (msg) => console.log(`  ${((Date.now() - t0) / 1000).toFixed(1)}s ${msg}`);

const browser = await chromium.launch({
  executablePath: process.env.ORQ_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
const page = await context.newPage();
log("browser started");
page.setDefaultTimeout(15000);
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text()); });
// Every response is expected to succeed, except the deliberately wrong sign-in.
page.on("response", (r) => {
  if (r.status() >= 400 && !(r.status() === 401 && r.url().endsWith("/admin/login"))) consoleErrors.push(`${r.status()} ${r.url()}`);
});
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.on("dialog", (d) => d.accept());

async function shot(name) {
  step++;
  const file = join(shots, `${String(step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

function expect(cond, msg) {
  if (!cond) throw new Error("expectation failed: " + msg);
}

try {
  // 1. Sign in.
  await page.goto(base + "/admin/");
  expect(page.url().includes("/admin/login"), "unauthenticated visit redirects to sign-in");
  await shot("sign-in");
  await page.fill("input[name=token]", "wrong-token-wrong-token");
  await page.click("button.primary");
  expect(await page.locator(".flash.bad").isVisible(), "a wrong token is refused");
  await page.fill("input[name=token]", token);
  await page.click("button.primary");
  await page.waitForURL(/\/admin\/tenants$/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "orq_admin_session");
  expect(session && session.httpOnly && session.sameSite === "Strict", "session cookie is HttpOnly and SameSite=Strict");
  log("signed in");

  // 2. Create a tenant; its API key is shown once.
  await page.fill("input[name=name]", "Acme Shop");
  await page.click("text=Create tenant");
  const key = (await page.locator("#new-api-key").textContent()).trim();
  expect(key.startsWith("orq_"), "the new API key is shown");
  await shot("tenant-created");
  const tenantLink = page.locator("table.list a", { hasText: "Acme Shop" });
  await tenantLink.click();
  const tenantURL = page.url();
  const tenantID = tenantURL.split("/").pop();
  result.tenantID = tenantID;
  result.apiKey = key;
  await shot("tenant-overview");
  log(`created tenant ${tenantID}`);

  // 3. Add an SMTP provider pointing at the test server.
  if (smtpHost && (await page.locator(".tenant-nav a", { hasText: "Providers" }).count()) > 0) {
    await page.goto(tenantURL + "/providers");
    {
      await page.goto(tenantURL + "/providers/new?kind=smtp");
      await page.fill("input[name=name]", "test-smtp");
      await page.fill("input[name='cfg.host']", smtpHost);
      await page.fill("input[name='cfg.port']", smtpPort);
      await page.fill("input[name='cfg.from']", "noreply@example.test");
      await page.fill("input[name='cfg.fromName']", "Orqestra");
      const security = page.locator("[name='cfg.security']");
      if (await security.count() > 0) {
        if ((await security.evaluate((el) => el.tagName)) === "SELECT") await security.selectOption("none");
        else await security.fill("none");
      }
      await shot("provider-form");
      await page.click("button[data-testid=save-provider]");
      await page.waitForURL(/\/providers$/);
      expect(await page.locator(".flash.bad").count() === 0, "the provider form is accepted: " + (await page.locator(".flash.bad").textContent().catch(() => "")));
      expect((await page.content()).includes("test-smtp"), "the provider is listed");
      expect((await page.locator("table.list code", { hasText: "127.0.0.1" }).count()) === 1, "the config is shown");
      await page.fill("form.test-form input[name=to]", recipient);
      await page.click("[data-testid=send-provider-test]");
      await page.waitForSelector(".flash.ok:text('Test message sent')");
      await shot("providers");
      result.provider = true;
      log("added SMTP provider");
    }
  }

  // 4. Create and activate an order.confirmed email template, preview it.
  await page.goto(tenantURL + "/templates/edit");
  await page.fill("input[name=event_type]", "order.confirmed");
  await page.selectOption("select[name=channel]", "EMAIL");
  await page.fill("input[name=category]", "orders");
  await page.fill("input[name=subject]", "Order {{orderNumber}} confirmed");
  await page.fill("textarea[name=body]", "Hi {{name}}, your order {{orderNumber}} of {{amount}} is confirmed.");
  await page.fill("textarea[name=html]", '<div style="font-family:sans-serif"><h2 style="color:#4f46e5">Thanks, {{name}}!</h2><p>Order <b>{{orderNumber}}</b> of {{amount}} is confirmed.</p></div>');
  await page.click("button[value=preview]");
  const vars = await page.locator("#preview code.var").allTextContents();
  expect(["orderNumber", "name", "amount"].every((v) => vars.includes(v)), "the expected variables are listed: " + vars.join(","));
  await page.fill("textarea[name=sample]", JSON.stringify({ name: "Ada", orderNumber: "A-1001", amount: "$42.00" }, null, 2));
  await page.click("button[value=preview]");
  const subject = await page.locator("[data-testid=preview-subject]").textContent();
  expect(subject === "Order A-1001 confirmed", "the preview renders the subject: " + subject);
  const frame = page.frameLocator("iframe.html-preview");
  expect((await frame.locator("h2").textContent()).includes("Thanks, Ada!"), "the HTML preview renders");
  await shot("template-preview");
  await page.click("button[value=activate]");
  await page.waitForURL(/templates\/versions/);
  expect(await page.locator(".card.version.is-active").count() === 1, "one version is active");
  await shot("template-versions");
  log("template order.confirmed EMAIL active");

  // 5. Pre-flight: send the global.info test and wait for it to be delivered.
  await page.goto(tenantURL + "/preflight");
  await page.fill("input[name=email]", recipient);
  await page.click("[data-testid=send-test]");
  await page.waitForSelector("[data-testid=test-status]:text('delivered')", { timeout: 30000 });
  expect(await page.locator("[data-testid=step-template].done").count() === 1, "step 2 is checked");
  expect(await page.locator("[data-testid=step-test].done").count() === 1, "step 3 is checked");
  if (result.provider) expect(await page.locator("[data-testid=step-provider].done").count() === 1, "step 1 is checked");
  await shot("preflight-delivered");
  log("pre-flight test delivered");

  // 6. Trigger order.confirmed through the API with the tenant's key.
  const resp = await fetch(base + "/api/v1/events/trigger", {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({
      eventType: "order.confirmed",
      payload: { userId: "user-1", recipientEmail: recipient },
      variables: { name: "Ada", orderNumber: "A-1001", amount: "$42.00" },
    }),
  });
  const body = await resp.json();
  expect(resp.status === 200 && body.success, "the trigger is accepted: " + JSON.stringify(body));
  result.orderEventID = body.eventId;

  // 7. Activity shows both events; the order's delivery reaches "sent".
  for (let i = 0; i < 30; i++) {
    await page.goto(tenantURL + "/activity?eventType=order.confirmed");
    if (await page.locator(".delivery .badge.ok", { hasText: "sent" }).count() > 0) break;
    await page.waitForTimeout(500);
  }
  expect(await page.locator(".delivery .badge.ok", { hasText: "sent" }).count() === 1, "order.confirmed is delivered in Activity");
  await page.goto(tenantURL + "/activity");
  expect(await page.locator("table.activity tbody tr").count() === 2, "Activity lists both events");
  await shot("activity");
  await page.click(`a[href$='/events/${body.eventId}']`);
  expect((await page.locator("[data-testid=delivery-status]").first().textContent()) === "sent", "event detail shows the delivery sent");
  await page.locator("details summary", { hasText: "Rendered message" }).first().click();
  await shot("event-detail");
  await page.goto(tenantURL + "/outbox");
  await shot("outbox");
  log("activity shows the deliveries");

  // 8. Sign out: the session no longer works.
  await page.click("button.link");
  await page.waitForURL(/\/admin\/login/);
  await page.goto(tenantURL);
  expect(page.url().includes("/admin/login"), "signed out");

  expect(consoleErrors.length === 0, "no browser console errors: " + consoleErrors.join(" | "));
  result.ok = true;
  console.log(`admin e2e passed; screenshots in ${shots}`);
} catch (err) {
  await shot("failure").catch(() => {});
  console.error("admin e2e failed:", err.message, "at", page.url());
  result.ok = false;
  result.error = err.message;
  process.exitCode = 1;
} finally {
  if (process.env.ORQ_RESULT) writeFileSync(process.env.ORQ_RESULT, JSON.stringify(result));
  await browser.close();
}
