// The Stagepass API from the browser: the session (access and refresh token) kept in this
// browser, refreshed silently before the access token runs out or once after a 401, and every
// error turned into words a person can act on.

const SESSION = "stagepass.session";

/** Where the API is: config.json beside index.html when deployed, else this page's origin. */
let apiBase = "";
export async function configure() {
  try {
    const r = await fetch("./config.json", { cache: "no-store" });
    if (r.ok) apiBase = ((await r.json()).apiUrl || "").replace(/\/$/, "");
  } catch {
    // No config: the API is on this origin (`make run`).
  }
}

export function session() {
  try {
    return JSON.parse(localStorage.getItem(SESSION)) || null;
  } catch {
    return null;
  }
}

function keep(answer, link = null) {
  const s = {
    access_token: answer.access_token,
    refresh_token: answer.refresh_token || null,
    // A guest who came through their emailed link: the link opens a new session when this
    // one runs out (guests have no refresh token).
    link,
    // A little early, so a request never leaves with a token that expires on the way.
    expires_at: Date.now() + (answer.expires_in - 30) * 1000,
    user: answer.user,
  };
  localStorage.setItem(SESSION, JSON.stringify(s));
  window.dispatchEvent(new Event("session"));
  return s;
}

export function forget() {
  localStorage.removeItem(SESSION);
  window.dispatchEvent(new Event("session"));
}

export function roles() {
  return session()?.user?.roles || [];
}

export function can(role) {
  const r = roles();
  return r.includes(role) || r.includes("admin");
}

let refreshing = null;
/**
 * One refresh at a time: two tabs' requests must not spend the refresh token twice. A guest
 * from an emailed link opens the link again instead.
 */
export async function refresh() {
  const s = session();
  if (!s?.refresh_token && !s?.link) return null;
  refreshing ??= (async () => {
    try {
      const r = s.refresh_token
        ? await raw("POST", "/auth/refresh", { refresh_token: s.refresh_token })
        : await raw("POST", "/auth/guest-link", { token: s.link });
      if (r.ok) return keep(r.data, s.link);
      if (r.status === 401 || r.error?.code === "invalid_link") forget();
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function raw(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(apiBase + path, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    return { ok: false, status: 0, data: null, error: { code: "offline", message: "" } };
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return {
    ok: response.ok,
    status: response.status,
    data,
    error: response.ok ? null : data?.error || { code: "http_" + response.status, message: "" },
    retryAfter: Number(response.headers.get("retry-after")) || null,
  };
}

/**
 * Calls the API. `auth` sends the session's token (refreshed first if it is about to expire,
 * and once more after a 401); `key` is an Idempotency-Key, so a retry cannot act twice;
 * `admission` is the waiting room's admission token for the event.
 */
export async function call(method, path, { body, auth = true, key, admission } = {}) {
  const headers = {};
  if (key) headers["idempotency-key"] = key;
  // A waiting room's admission for this event, sent with holds and checkouts.
  if (admission) headers["admission-token"] = admission;
  let s = auth ? session() : null;
  const renewable = s?.refresh_token || s?.link;
  if (s && s.expires_at < Date.now() && renewable) s = await refresh();
  if (s) headers.authorization = "Bearer " + s.access_token;
  let r = await raw(method, path, body, headers);
  if (r.status === 401 && renewable) {
    const renewed = await refresh();
    if (renewed) {
      headers.authorization = "Bearer " + renewed.access_token;
      r = await raw(method, path, body, headers);
    }
  }
  return r;
}

export async function login(email, password) {
  const r = await raw("POST", "/auth/login", { email, password });
  if (r.ok) keep(r.data);
  return r;
}

export async function guest(email) {
  const r = await raw("POST", "/auth/guest", { email });
  if (r.ok) keep(r.data);
  return r;
}

/** A guest's emailed link: a session for their bookings. */
export async function openGuestLink(token) {
  const r = await raw("POST", "/auth/guest-link", { token });
  if (r.ok) keep(r.data, token);
  return r;
}

export async function logout() {
  await call("POST", "/auth/logout");
  forget();
}

const WORDS = {
  offline: "Stagepass can't be reached. Check your connection and try again.",
  seats_unavailable: "Sorry, someone else just took that. Pick other seats and try again.",
  not_enough_places: "Sorry, there aren't that many places left in that area.",
  hold_expired: "Your hold ran out, so the seats went back on sale. Pick them again.",
  hold_not_active: "That hold is no longer active. Pick your seats again.",
  hold_limit_reached: "You already hold as many places at this event as one person may.",
  too_many_seats: "That's more seats than one hold may take.",
  event_not_on_sale: "This event isn't on sale.",
  event_started: "This event has already started.",
  event_not_found: "We couldn't find that event.",
  booking_not_found: "We couldn't find that booking.",
  invalid_credentials: "That email and password don't match an account.",
  invalid_password: "Passwords need at least 10 characters.",
  invalid_email: "That doesn't look like an email address.",
  rate_limited: "Too many tries. Please wait a moment and try again.",
  ticket_already_used: "This ticket has already been used.",
  ticket_not_recognised: "This isn't a Stagepass ticket.",
  ticket_void: "This ticket is void (its booking was cancelled).",
  not_assigned_to_event: "You aren't on the door staff for this ticket's event.",
  unauthorized: "Please log in to do that.",
  session_revoked: "You were logged out. Please log in again.",
  token_expired: "Your session ran out. Please log in again.",
  forbidden: "Your account can't do that.",
  invalid_link: "This link doesn't work any more: it has expired, was already used, or was revoked. Ask for a new one.",
  email_not_verified: "Please verify your email first: open the link we emailed you (or send it again below). Then you can cancel for a refund.",
  already_verified: "Your email is already verified.",
  service_unavailable: "Stagepass is busy right now. Please try again in a moment.",
};

/** An API failure in words: ours for the common codes, else the API's own message. */
export function describe(r) {
  const code = r.error?.code;
  const words = WORDS[code] || r.error?.message || `Something went wrong (HTTP ${r.status}).`;
  return r.retryAfter && code === "rate_limited" ? `${words} (${r.retryAfter} s)` : words;
}

export function newKey() {
  return crypto.randomUUID();
}
