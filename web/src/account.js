// Sign up, log in. The session then refreshes itself (api.js) until logout.
import { call, describe, login } from "./api.js";
import { h, notice, field } from "./dom.js";

function credentialsForm(submitText, onSubmit, newPassword) {
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", {
    type: "password", name: "password", required: true, minlength: newPassword ? 10 : 1,
    autocomplete: newPassword ? "new-password" : "current-password",
  });
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h("form", { class: "narrow", onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    status.replaceChildren(h("p", { class: "loading" }, "One moment…"));
    const message = await onSubmit(email.value.trim(), password.value);
    button.disabled = false;
    status.replaceChildren(message ? notice("error", message) : "");
  } },
    field("Email", email),
    field("Password", password, newPassword ? "At least 10 characters." : null),
    button,
    status,
  );
  return form;
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
      location.hash = "#/";
      return null;
    }, true),
    h("p", {}, "Have an account? ", h("a", { href: "#/login" }, "Log in")),
  );
}
