// The Stagepass web app: one page, routed by the URL's hash (#/events/<id>), so the API can
// live on the same origin without any path of the app shadowing one of the API's.
import "./style.css";
import { configure, session, can, logout } from "./api.js";
import { h } from "./dom.js";
import { searchPage, eventPage } from "./fan.js";
import { bookingPage, bookingsPage } from "./bookings.js";
import {
  loginPage, signupPage, welcomePage, verifyPage, forgotPage, resetPage, guestLinkPage,
} from "./account.js";
import { organiserPage, editorPage } from "./organiser.js";
import { doorPage } from "./door.js";

const routes = [
  [/^#?\/?$/, searchPage],
  [/^#\/events\/([^/]+)$/, eventPage],
  [/^#\/bookings$/, bookingsPage],
  [/^#\/bookings\/([^/]+)$/, bookingPage],
  [/^#\/login$/, loginPage],
  [/^#\/signup$/, signupPage],
  [/^#\/welcome$/, welcomePage],
  [/^#\/forgot$/, forgotPage],
  // The pages emailed links open (see LinkPurpose::path).
  [/^#\/verify\/([^/]+)$/, verifyPage],
  [/^#\/reset\/([^/]+)$/, resetPage],
  [/^#\/guest\/([^/]+)$/, guestLinkPage],
  [/^#\/organiser$/, organiserPage],
  [/^#\/organiser\/new$/, (ctx) => editorPage(ctx, null)],
  [/^#\/organiser\/events\/([^/]+)$/, editorPage],
  [/^#\/door$/, doorPage],
];

const main = document.getElementById("app");
let current = null;

function nav() {
  const s = session();
  const link = (href, text) =>
    h("a", { href, "aria-current": location.hash === href ? "page" : false }, text);
  const items = [link("#/", "Events")];
  if (s) items.push(link("#/bookings", "My bookings"));
  if (can("organiser")) items.push(link("#/organiser", "Organiser"));
  if (can("door")) items.push(link("#/door", "Door"));
  if (s) {
    const who = s.user?.roles?.includes("guest") ? `guest (${s.user?.email})` : s.user?.email;
    items.push(
      h("span", { class: "who" }, who),
      h("button", { type: "button", class: "link", onclick: async () => {
        await logout();
        location.hash = "#/";
      } }, "Log out"),
    );
  } else {
    items.push(link("#/login", "Log in"), link("#/signup", "Sign up"));
  }
  document.getElementById("nav").replaceChildren(...items);
}

async function route() {
  nav();
  // The page being left stops its timers (countdowns, live seat map, polling).
  current?.abort();
  current = new AbortController();
  const ctx = { signal: current.signal, main };
  const hash = location.hash || "#/";
  for (const [pattern, page] of routes) {
    const m = hash.match(pattern);
    if (m) {
      main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
      try {
        await page(ctx, ...m.slice(1).map(decodeURIComponent));
      } catch (e) {
        // Never a blank page: whatever broke is said in words.
        console.error(e);
        main.replaceChildren(
          h("h1", {}, "Something went wrong"),
          h("p", { role: "alert" }, "This page could not be shown. Try again, or go back to the events."),
          h("a", { href: "#/" }, "All events"),
        );
      }
      main.focus();
      return;
    }
  }
  main.replaceChildren(h("h1", {}, "Page not found"), h("a", { href: "#/" }, "All events"));
}

window.addEventListener("hashchange", route);
window.addEventListener("session", nav);
await configure();
route();
