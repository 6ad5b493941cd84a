// The web app in headless Chromium (the system's: Playwright's own download does not work on
// these machines) against a real `stagepass-local` with its own data folder. Each test ends
// with a screenshot of its final page under target/browser/ for people to look at.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
const SHOTS = join(ROOT, "target/browser");
const DEMO_PASSWORD = readFileSync(join(ROOT, "shared/local/src/demo.rs"), "utf8").match(/DEMO_PASSWORD: &str = "([^"]+)"/)[1];
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let server, base, browser, data;

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

async function api(method, path, body, token, key) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers["idempotency-key"] = key;
  const r = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, data: text ? JSON.parse(text) : null };
}

const login = async (email, password = DEMO_PASSWORD) => (await api("POST", "/auth/login", { email, password })).data.access_token;

/** A published event with `seats` seats in one row, made through the API. */
async function publishedEvent(title, seats) {
  const org = await login("organiser@stagepass.local");
  const starts = new Date(Date.now() + 20 * 86400e3).toISOString();
  const draft = await api("POST", "/events", {
    title, category: "theatre", venue: { name: "Little Room", city: "Leeds" }, starts_at: starts, currency: "GBP",
    price_tiers: [{ id: "std", name: "Standard", price: 2000 }],
    layout: { sections: [{ id: "A", name: "Stalls", tier: "std", rows: [{ label: "1", seats }] }], ga_areas: [] },
  }, org);
  assert.equal(draft.status, 201, JSON.stringify(draft.data));
  const published = await api("POST", `/events/${draft.data.id}/publish`, null, org);
  assert.equal(published.status, 200);
  return draft.data.id;
}

async function demoEventId() {
  const r = await api("GET", "/events?city=london");
  return r.data.events.find((e) => e.title === "Stagepass Demo Night").id;
}

async function page(viewport = { width: 1200, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const p = await context.newPage();
  p.on("pageerror", (e) => {
    throw new Error(`the page threw: ${e.message}`);
  });
  await p.goto(base + "/");
  return p;
}

/** The plain-text part of each email the server wrote for `to`, oldest first. */
function mailsTo(to) {
  let names = [];
  try {
    names = readdirSync(join(data, "mail")).sort();
  } catch {
    return [];
  }
  return names
    .map((n) => readFileSync(join(data, "mail", n), "utf8"))
    .filter((m) => m.includes(`To: ${to}\r\n`))
    .map((m) => {
      const header = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
      const body = m.slice(m.indexOf(header) + header.length).split("\r\n");
      const b64 = body.slice(0, body.findIndex((l) => l === "" || l.startsWith("--"))).join("");
      return Buffer.from(b64, "base64").toString("utf8");
    });
}

/** The newest link to the app's `#/<page>/` emailed to `to`, waiting for it to arrive. */
async function emailedLink(to, page, count = 1) {
  for (let i = 0; i < 200; i++) {
    const links = mailsTo(to).flatMap((t) => t.match(new RegExp(`\\S+#/${page}/\\S+`, "g")) || []);
    if (links.length >= count) return links[links.length - 1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no link to #/${page}/ reached ${to}`);
}

const shot = (p, name) => p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  data = mkdtempSync(join(tmpdir(), "stagepass-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(join(ROOT, "target/debug/stagepass-local"), [], {
    env: { ...process.env, PORT: String(port), STAGEPASS_DATA_DIR: data, STAGEPASS_WEB_DIR: join(ROOT, "web/dist") },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(base + "/events")).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(data, { recursive: true, force: true });
});

test("a fan signs up, buys a seat on the map and sees the ticket", async () => {
  const p = await page();
  const email = `fan-${Date.now()}@example.com`;
  await p.getByRole("link", { name: "Sign up" }).click();
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill("a long passphrase");
  await p.getByRole("button", { name: "Sign up" }).click();
  await p.getByRole("button", { name: "Log out" }).waitFor();
  await p.getByText("We've emailed you a link to verify your address").waitFor();
  await p.getByRole("link", { name: "Find events" }).click();
  await p.getByRole("link", { name: "Stagepass Demo Night" }).click();
  await p.getByRole("button", { name: /Row 3 seat 5,/ }).click();
  await p.getByRole("button", { name: "Hold these seats" }).click();
  await p.getByRole("timer").waitFor();
  await p.getByLabel("Payment (test cards)").selectOption("pm_card_visa");
  await p.getByRole("button", { name: /^Pay / }).click();
  await p.getByText("Confirmed: your tickets are below").waitFor({ timeout: 20000 });
  await p.locator("canvas[aria-label='QR code for ticket A-3-5']").waitFor();
  assert.equal(await p.getByRole("heading", { name: "Ticket: A-3-5" }).count(), 1);
  await shot(p, "fan-buys-a-seat");
  // The booking is under My bookings, with a reminder to verify the email; the link in the
  // welcome email verifies it, and the reminder is gone.
  await p.getByRole("link", { name: "My bookings" }).click();
  await p.getByRole("link", { name: "Stagepass Demo Night" }).waitFor();
  await p.getByRole("region", { name: "Verify your email" }).waitFor();
  const verify = await emailedLink(email, "verify");
  assert.ok(verify.startsWith(base + "/#/verify/"), verify);
  await p.goto(verify);
  await p.getByText(`Thank you: ${email} is verified.`).waitFor();
  await p.getByRole("link", { name: "My bookings" }).first().click();
  await p.getByRole("link", { name: "Stagepass Demo Night" }).waitFor();
  assert.equal(await p.getByRole("region", { name: "Verify your email" }).count(), 0);
  await p.context().close();
});

test("a fan who forgot their password resets it from the emailed link", async () => {
  const email = `forgetful-${Date.now()}@example.com`;
  assert.equal((await api("POST", "/auth/register", { email, password: "the old passphrase" })).status, 202);
  const p = await page({ width: 390, height: 844 });
  await p.getByRole("link", { name: "Log in" }).click();
  await p.getByRole("link", { name: "Forgot your password?" }).click();
  // Each page is drawn after its hash changes: wait for it before typing into it.
  await p.getByRole("heading", { name: "Forgot your password?" }).waitFor();
  await p.getByLabel("Email").fill(email);
  await p.getByRole("button", { name: "Email me a reset link" }).click();
  await p.getByText("Check your inbox").waitFor();
  await p.goto(await emailedLink(email, "reset"));
  await p.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await p.getByLabel("New password").fill("short");
  await p.getByRole("button", { name: "Set new password" }).click();
  assert.equal(await p.getByRole("heading", { name: "Password changed" }).count(), 0);
  await p.getByLabel("New password").fill("the new passphrase");
  await p.getByRole("button", { name: "Set new password" }).click();
  await p.getByRole("heading", { name: "Password changed" }).waitFor();
  await p.getByRole("main").getByRole("link", { name: "Log in" }).click();
  await p.getByRole("heading", { name: "Log in" }).waitFor();
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill("the new passphrase");
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("button", { name: "Log out" }).waitFor();
  await shot(p, "password-reset");
  await p.context().close();
});

test("two fans race for the last seat and one is told politely it's gone", async () => {
  const id = await publishedEvent(`Last Seat ${Date.now()}`, 1);
  const fans = [];
  for (const n of [1, 2]) {
    const p = await page();
    await p.goto(`${base}/#/events/${id}`);
    await p.getByRole("button", { name: /Row 1 seat 1,/ }).click();
    await p.getByLabel("Email for your tickets").fill(`racer-${n}-${Date.now()}@example.com`);
    fans.push(p);
  }
  await Promise.all(fans.map((p) => p.getByRole("button", { name: "Continue as guest" }).click()));
  const outcome = async (p) => {
    const won = p.getByRole("timer");
    const lost = p.getByRole("alert");
    await won.or(lost).first().waitFor();
    return (await won.count()) ? "won" : await lost.innerText();
  };
  const results = await Promise.all(fans.map(outcome));
  const winners = results.filter((r) => r === "won");
  assert.equal(winners.length, 1, JSON.stringify(results));
  const loser = fans[results.indexOf(results.find((r) => r !== "won"))];
  assert.match(await loser.getByRole("alert").innerText(), /Sorry, someone else just took that/);
  // The seat shows as taken on the loser's map, not as a choice.
  assert.equal(await loser.getByRole("button", { name: /Row 1 seat 1, held/ }).count(), 1);
  await shot(loser, "race-for-the-last-seat-lost");
  for (const p of fans) await p.context().close();
});

test("an organiser builds a venue, publishes it, and fans can find it", async () => {
  const p = await page();
  await p.getByRole("link", { name: "Log in" }).click();
  await p.getByLabel("Email").fill("organiser@stagepass.local");
  await p.getByLabel("Password").fill(DEMO_PASSWORD);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("link", { name: "Organiser" }).click();
  await p.getByRole("link", { name: "Create an event" }).click();
  const title = `Browser Gala ${Date.now()}`;
  await p.getByLabel("Title").fill(title);
  await p.getByLabel("Venue").fill("Town Hall");
  await p.getByLabel("City").fill("York");
  // Three more rows of 16 in the stalls, a second tier, a balcony and a standing area.
  await p.getByLabel("Add rows").fill("3");
  await p.getByLabel("Seats each").fill("16");
  await p.getByRole("button", { name: "Add", exact: true }).click();
  await p.getByRole("button", { name: "Add a price tier" }).click();
  await p.getByLabel("Name").nth(1).fill("Balcony");
  await p.getByRole("button", { name: "Add a section" }).click();
  await p.getByRole("button", { name: "Add a standing area" }).click();
  await p.getByText("seats and 100 standing places").waitFor();
  assert.match(await p.locator(".total").innerText(), /^94 seats and 100 standing places/);
  await p.getByRole("button", { name: "Publish" }).click();
  await p.locator(".badge.published").waitFor();
  await p.getByRole("heading", { name: "Sales" }).waitFor();
  await p.getByText("0 tickets sold").waitFor();
  // A guest buys a seat; the sales subscriber counts it and the organiser sees it.
  const id = p.url().split("/").pop();
  const guest = (await api("POST", "/auth/guest", { email: `gala-${Date.now()}@example.com` })).data.access_token;
  const hold = await api("POST", `/events/${id}/holds`, { seats: ["A-A-1"] }, guest);
  assert.equal(hold.status, 201, JSON.stringify(hold.data));
  const booking = await api("POST", "/bookings", { hold_id: hold.data.id, payment_method: "pm_card_visa" }, guest, crypto.randomUUID());
  assert.equal(booking.status, 202, JSON.stringify(booking.data));
  for (let i = 0; i < 50; i++) {
    await p.reload();
    await p.getByRole("heading", { name: "Sales" }).waitFor();
    await p.locator(".sales .big").filter({ hasNotText: "Counting" }).waitFor();
    if (/^1 ticket sold/.test(await p.locator(".sales .big").innerText())) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(await p.locator(".sales .big").innerText(), /^1 ticket sold · £35\.00 taken/);
  await shot(p, "organiser-publishes");
  await p.getByRole("link", { name: "Public page" }).click();
  await p.getByRole("button", { name: /Row F seat 16,/ }).waitFor();
  assert.equal(await p.getByRole("heading", { name: title }).count(), 1);
  await p.context().close();
});

test("door staff admit a ticket once and are refused the second time", async () => {
  // A guest buys a seat at the demo event (door@stagepass.local is on its door staff).
  const id = await demoEventId();
  const guest = (await api("POST", "/auth/guest", { email: `door-test-${Date.now()}@example.com` })).data.access_token;
  const hold = await api("POST", `/events/${id}/holds`, { seats: ["A-4-12"] }, guest);
  assert.equal(hold.status, 201, JSON.stringify(hold.data));
  const booking = await api("POST", "/bookings", { hold_id: hold.data.id, payment_method: "pm_card_visa" }, guest, crypto.randomUUID());
  let qr;
  for (let i = 0; i < 100 && !qr; i++) {
    await new Promise((r) => setTimeout(r, 200));
    qr = (await api("GET", `/bookings/${booking.data.id}`, null, guest)).data.tickets?.[0]?.qr;
  }
  assert.ok(qr, "the booking was confirmed with a ticket");

  const p = await page({ width: 390, height: 844 });
  await p.getByRole("link", { name: "Log in" }).click();
  await p.getByLabel("Email").fill("door@stagepass.local");
  await p.getByLabel("Password").fill(DEMO_PASSWORD);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("link", { name: "Door" }).click();
  await p.getByLabel("Gate").fill("North");
  await p.getByLabel("Ticket QR text").fill(qr);
  await p.getByRole("button", { name: "Check ticket" }).click();
  await p.locator(".verdict.admitted").waitFor();
  assert.match(await p.locator(".verdict").innerText(), /ADMITTED[\s\S]*Seat A-4-12/);
  await shot(p, "door-admitted");
  await p.getByLabel("Ticket QR text").fill(qr);
  await p.getByRole("button", { name: "Check ticket" }).click();
  await p.locator(".verdict.refused").waitFor();
  assert.match(await p.locator(".verdict").innerText(), /REFUSED[\s\S]*already been used/);
  await shot(p, "door-refused-second-time");
  await p.context().close();
});

test("a guest checks out on a phone-sized screen, and opens their bookings later from the email", async () => {
  const p = await page({ width: 390, height: 844 });
  const email = `guest-${Date.now()}@example.com`;
  await p.getByRole("link", { name: "Stagepass Demo Night" }).click();
  await p.getByLabel("Places on Standing").fill("2");
  await p.getByLabel("Email for your tickets").fill(email);
  await p.getByRole("button", { name: "Continue as guest" }).click();
  await p.getByRole("timer").waitFor();
  await p.getByRole("button", { name: /^Pay £90\.00$/ }).click();
  await p.getByText("Confirmed: your tickets are below").waitFor({ timeout: 20000 });
  assert.equal(await p.locator("canvas[aria-label^='QR code for ticket floor#']").count(), 2);
  await shot(p, "guest-checks-out");
  await p.context().close();

  // Days later, on another device: the link in the confirmation email opens their bookings
  // without an account. They revoke it (it was forwarded); the old one stops working and a
  // new one arrives.
  const later = await page({ width: 390, height: 844 });
  later.on("dialog", (d) => d.accept());
  const link = await emailedLink(email, "guest");
  await later.goto(link);
  await later.getByRole("heading", { name: "My bookings" }).waitFor();
  await later.getByRole("link", { name: "Stagepass Demo Night" }).click();
  await later.locator("canvas[aria-label^='QR code for ticket floor#']").first().waitFor();
  await later.getByRole("link", { name: "My bookings" }).click();
  await later.getByRole("button", { name: "Revoke this link" }).waitFor();
  await shot(later, "guest-link-opens-bookings");
  await later.getByRole("button", { name: "Revoke this link" }).click();
  await later.getByText(`Revoked. A new link is on its way to ${email}.`).waitFor();
  const fresh = await emailedLink(email, "guest", 2);
  assert.notEqual(fresh, link);
  await later.goto(link);
  await later.getByText("This link doesn't work any more").waitFor();
  await later.goto(fresh);
  await later.getByRole("link", { name: "Stagepass Demo Night" }).waitFor();
  await later.context().close();
});

test("a declined card is said in words and the seats go back on sale", async () => {
  const p = await page();
  await p.getByRole("link", { name: "Stagepass Demo Night" }).click();
  await p.getByRole("button", { name: /Row 4 seat 1,/ }).click();
  await p.getByLabel("Email for your tickets").fill(`declined-${Date.now()}@example.com`);
  await p.getByRole("button", { name: "Continue as guest" }).click();
  await p.getByLabel("Payment (test cards)").selectOption("pm_card_chargeDeclined");
  await p.getByRole("button", { name: /^Pay / }).click();
  await p.getByText("Your card was declined").waitFor({ timeout: 20000 });
  await shot(p, "card-declined");
  await p.context().close();
});

test("a fan waits their turn in an on-sale's waiting room, then buys with the admission", async () => {
  const id = await publishedEvent(`Waiting Room ${Date.now()}`, 4);
  const org = await login("organiser@stagepass.local");
  const room = await api("PUT", `/events/${id}/waiting-room`, {
    opens_at: new Date(Date.now() - 60e3).toISOString(),
    closes_at: new Date(Date.now() + 3600e3).toISOString(),
    admit_per_minute: 600,
  }, org);
  assert.equal(room.status, 200, JSON.stringify(room.data));
  const p = await page({ width: 390, height: 844 });
  await p.goto(`${base}/#/events/${id}`);
  await p.getByRole("button", { name: /Row 1 seat 2,/ }).click();
  await p.getByLabel("Email for your tickets").fill(`queued-${Date.now()}@example.com`);
  await p.getByRole("button", { name: "Continue as guest" }).click();
  // The hold is refused without an admission: the page offers the queue instead.
  await p.getByRole("button", { name: "Join the queue" }).click();
  await p.getByText(/You are number 1 in the queue|Your turn is about/).first().waitFor();
  await shot(p, "waiting-room");
  await p.getByText(/It's your turn!/).waitFor({ timeout: 20000 });
  await p.getByRole("button", { name: "Hold these seats" }).click();
  await p.getByRole("timer").waitFor();
  await p.getByRole("button", { name: /^Pay / }).click();
  await p.getByText("Confirmed: your tickets are below").waitFor({ timeout: 20000 });
  await shot(p, "waiting-room-admitted-and-bought");
  await p.context().close();
});
