// Sign up, log in, and what the emailed links open: verifying an email, resetting a forgotten
// password, a guest's bookings. The session then refreshes itself (api.js) until logout.
import { call, describe, forget, login, openGuestLink, refresh, session } from "./api.js";
import { h, notice, field } from "./dom.js";

/**
 * A form whose button waits for `onSubmit` (with "One moment…" meanwhile) and then shows the
 * notice it returns, if any.
 */
function submitForm(submitText, fields, onSubmit) {
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, submitText);
  return h("form", { class: "narrow", onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    status.replaceChildren(h("p", { class: "loading" }, "One moment…"));
    const shown = await onSubmit();
    button.disabled = false;
    status.replaceChildren(shown || "");
  } }, ...fields, button, status);
}

const passwordInput = (newPassword) => h("input", {
  type: "password", name: "password", required: true, minlength: newPassword ? 10 : 1,
  autocomplete: newPassword ? "new-password" : "current-password",
});

const emailInput = () => h("input", { type: "email", name: "email", autocomplete: "email", required: true });

/** `onSubmit(email, password)` returns an error message, or null. */
function credentialsForm(submitText, onSubmit, newPassword) {
  const email = emailInput();
  const password = passwordInput(newPassword);
  return submitForm(submitText, [
    field("Email", email),
    field("Password", password, newPassword ? "At least 10 characters." : null),
  ], async () => {
    const message = await onSubmit(email.value.trim(), password.value);
    return message ? notice("error", message) : null;
  });
}

export function loginPage({ main }) {
  const back = sessionStorage.getItem("stagepass.after-login") || "#/";
  main.replaceChildren(
    h("h1", {}, "Log in"),
    credentialsForm("Log in", async (email, password) => {
      const r = await login(email, password);
      if (!r.ok) return describe(r);
      location.hash = back;
      return null;
    }),
    h("p", {}, h("a", { href: "#/forgot" }, "Forgot your password?")),
    h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Sign up")),
  );
}

export function signupPage({ main }) {
  main.replaceChildren(
    h("h1", {}, "Sign up"),
    h("p", {}, "A fan account keeps your bookings and tickets in one place."),
    credentialsForm("Sign up", async (email, password) => {
      const r = await call("POST", "/auth/register", { body: { email, password }, auth: false });
      if (!r.ok) return describe(r);
      // The answer is the same for a new and a taken email (so nobody can probe for
      // accounts); logging in tells which it was.
      const l = await login(email, password);
      if (!l.ok) return "We've sent a message to that address. If it already has an account, log in with its password.";
      location.hash = "#/welcome";
      return null;
    }, true),
    h("p", {}, "Have an account? ", h("a", { href: "#/login" }, "Log in")),
  );
}

export function welcomePage({ main }) {
  main.replaceChildren(
    h("h1", {}, "Welcome to Stagepass"),
    notice("info", "We've emailed you a link to verify your address. You can buy tickets now; once verified you can also cancel a booking for a refund."),
    h("a", { href: "#/" }, "Find events"),
  );
}

/** The banner an unverified account sees where it matters (its bookings). */
export function verifyBanner() {
  const s = session();
  if (!s || s.user?.email_verified !== false || s.user?.roles?.includes("guest")) return null;
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary", onclick: async () => {
    button.disabled = true;
    const r = await call("POST", "/auth/verify-email/resend");
    status.replaceChildren(r.ok
      ? notice("info", `Sent to ${r.data.email}. Open the link in it.`)
      : notice("error", describe(r)));
    if (r.error?.code === "already_verified") await refresh();
    button.disabled = false;
  } }, "Send the link again");
  return h("section", { class: "banner", "aria-label": "Verify your email" },
    h("p", {}, "Please verify your email: open the link we sent you. Until then you can buy tickets but not cancel a booking for a refund."),
    button, status);
}

export async function verifyPage({ main }, token) {
  main.replaceChildren(h("h1", {}, "Verifying your email"), h("p", { class: "loading" }, "One moment…"));
  const r = await call("POST", "/auth/verify-email", { body: { token }, auth: false });
  if (!r.ok) {
    main.replaceChildren(h("h1", {}, "That link didn't work"), notice("error", describe(r)),
      h("p", {}, "Log in and ask for a new one on My bookings."), h("a", { href: "#/login" }, "Log in"));
    return;
  }
  // A session of that account learns the news at its next refresh: take it now.
  if (session()?.user?.email === r.data.email) await refresh();
  main.replaceChildren(
    h("h1", {}, "Email verified"),
    notice("info", `Thank you: ${r.data.email} is verified.`),
    h("a", { href: session() ? "#/bookings" : "#/login" }, session() ? "My bookings" : "Log in"),
  );
}

export function forgotPage({ main }) {
  const email = emailInput();
  main.replaceChildren(
    h("h1", {}, "Forgot your password?"),
    h("p", {}, "We'll email you a link to choose a new one. It works once, for an hour."),
    submitForm("Email me a reset link", [field("Email", email)], async () => {
      const r = await call("POST", "/auth/password-reset", { body: { email: email.value.trim() }, auth: false });
      return r.ok ? notice("info", r.data.message) : notice("error", describe(r));
    }),
  );
}

export function resetPage({ main }, token) {
  const password = passwordInput(true);
  main.replaceChildren(
    h("h1", {}, "Choose a new password"),
    submitForm("Set new password", [field("New password", password, "At least 10 characters.")], async () => {
      const r = await call("POST", "/auth/password-reset/confirm", { body: { token, password: password.value }, auth: false });
      if (!r.ok) return notice("error", describe(r));
      // Every session of the account has ended, this browser's too.
      forget();
      main.replaceChildren(
        h("h1", {}, "Password changed"),
        notice("info", "Your password is changed and you were logged out everywhere. Log in with the new one."),
        h("a", { href: "#/login" }, "Log in"),
      );
      return null;
    }),
  );
}

export async function guestLinkPage({ main }, token) {
  main.replaceChildren(h("h1", {}, "Opening your bookings"), h("p", { class: "loading" }, "One moment…"));
  const r = await openGuestLink(token);
  if (!r.ok) {
    main.replaceChildren(h("h1", {}, "That link didn't work"), notice("error", describe(r)),
      h("p", {}, "Your tickets are also attached to your confirmation email."));
    return;
  }
  location.hash = "#/bookings";
}
