// Organisers: build a venue's layout (sections of rows of seats, standing areas, price tiers),
// save it as a draft, publish it, follow its sales, put door staff on it, or cancel it.
import { call, describe, newKey } from "./api.js";
import { h, notice, money, when, field } from "./dom.js";
import { seatMap } from "./seatmap.js";

const MINE = "stagepass.my-events";
const CATEGORIES = ["concert", "sports", "theatre", "comedy", "festival", "other"];

function myEvents() {
  try {
    return JSON.parse(localStorage.getItem(MINE)) || [];
  } catch {
    return [];
  }
}
function remember(id) {
  localStorage.setItem(MINE, JSON.stringify([id, ...myEvents().filter((x) => x !== id)].slice(0, 50)));
}

export async function organiserPage({ main }) {
  const ids = myEvents();
  const list = h("ul", { class: "cards" });
  const openId = h("input", { name: "event-id", placeholder: "an event id" });
  main.replaceChildren(
    h("h1", {}, "Your events"),
    h("p", {}, h("a", { href: "#/organiser/new", class: "button primary" }, "Create an event")),
    list,
    h("form", { class: "inline", onsubmit: (e) => {
      e.preventDefault();
      if (openId.value.trim()) location.hash = `#/organiser/events/${openId.value.trim()}`;
    } }, field("Open another of your events by its id", openId), h("button", { type: "submit" }, "Open")),
  );
  if (!ids.length) list.replaceWith(notice("info", "Events you create in this browser are listed here."));
  for (const id of ids) {
    const r = await call("GET", `/events/${id}`);
    if (!r.ok) continue;
    const e = r.data;
    list.append(h("li", { class: "card" },
      h("a", { href: `#/organiser/events/${e.id}` }, h("h2", {}, e.title)),
      h("p", {}, `${when(e.starts_at)} · ${e.venue.city}`),
      h("p", { class: `badge ${e.status}` }, e.status),
    ));
  }
}

/** A fresh draft: one tier, one section of rows, one standing area, a month ahead. */
function blankDraft() {
  const start = new Date(Date.now() + 30 * 86400e3);
  start.setHours(19, 30, 0, 0);
  return {
    title: "",
    description: "",
    category: "concert",
    venue: { name: "", city: "", address: "" },
    starts_at: start.toISOString(),
    currency: "GBP",
    price_tiers: [{ id: "std", name: "Standard", price: 3500 }],
    layout: {
      sections: [{ id: "A", name: "Stalls", tier: "std", rows: ["A", "B", "C"].map((label) => ({ label, seats: 12 })) }],
      ga_areas: [],
    },
  };
}

function localInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The next row label after `label`: B after A, AA after Z, 11 after 10. */
function nextLabel(label) {
  if (/^\d+$/.test(label)) return String(Number(label) + 1);
  if (/^[A-Z]+$/.test(label)) {
    const chars = label.split("");
    let i = chars.length - 1;
    while (i >= 0 && chars[i] === "Z") chars[i--] = "A";
    if (i < 0) return "A" + chars.join("");
    chars[i] = String.fromCharCode(chars[i].charCodeAt(0) + 1);
    return chars.join("");
  }
  return label + "'";
}

export async function editorPage({ main }, id) {
  let event = null;
  let draft = blankDraft();
  if (id) {
    const [r, m] = await Promise.all([call("GET", `/events/${id}`), call("GET", `/events/${id}/seat-map`)]);
    if (!r.ok) return main.replaceChildren(h("h1", {}, "Event"), notice("error", describe(r)));
    event = r.data;
    if (m.ok) event.seat_map = seatMap(event, m.data);
    remember(id);
    draft = {
      title: event.title, description: event.description, category: event.category,
      venue: { address: "", ...event.venue }, starts_at: event.starts_at, currency: event.currency,
      price_tiers: event.price_tiers, layout: event.layout,
    };
  }
  const editable = !event || event.status === "draft";
  const status = h("div", { "aria-live": "polite" });
  const say = (kind, text) => status.replaceChildren(notice(kind, text));
  const body = h("div");

  const text = (get, set, attrs = {}) =>
    h("input", { value: get() ?? "", disabled: !editable, oninput: (e) => set(e.target.value), ...attrs });
  const number = (get, set, attrs = {}) =>
    h("input", { type: "number", value: get(), disabled: !editable, oninput: (e) => set(Number(e.target.value)), ...attrs });
  const tierSelect = (get, set, optional) => h("select", { disabled: !editable, onchange: (e) => set(e.target.value || undefined) },
    optional ? h("option", { value: "" }, "(section's)") : null,
    draft.price_tiers.map((t) => h("option", { value: t.id, selected: get() === t.id }, t.name || t.id)));
  const remove = (what, fn) => editable ? h("button", { type: "button", class: "link danger", "aria-label": `Remove ${what}`, onclick: () => {
    fn();
    draw();
  } }, "Remove") : null;

  function draw() {
    const seats = draft.layout.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + (Number(r.seats) || 0), 0), 0);
    const places = draft.layout.ga_areas.reduce((n, a) => n + (Number(a.capacity) || 0), 0);
    body.replaceChildren(
      h("fieldset", {}, h("legend", {}, "Details"),
        field("Title", text(() => draft.title, (v) => (draft.title = v), { name: "title", required: true })),
        field("Description", text(() => draft.description, (v) => (draft.description = v), { name: "description" })),
        field("Category", h("select", { name: "category", disabled: !editable, onchange: (e) => (draft.category = e.target.value) },
          CATEGORIES.map((c) => h("option", { value: c, selected: draft.category === c }, c)))),
        field("Venue", text(() => draft.venue.name, (v) => (draft.venue.name = v), { name: "venue" })),
        field("City", text(() => draft.venue.city, (v) => (draft.venue.city = v), { name: "city" })),
        field("Address", text(() => draft.venue.address, (v) => (draft.venue.address = v), { name: "address" })),
        field("Starts", h("input", { type: "datetime-local", name: "starts_at", disabled: !editable, value: localInput(draft.starts_at),
          onchange: (e) => (draft.starts_at = new Date(e.target.value).toISOString()) })),
        field("Currency", text(() => draft.currency, (v) => (draft.currency = v.toUpperCase()), { name: "currency", maxlength: 3, size: 4 })),
      ),
      h("fieldset", {}, h("legend", {}, "Price tiers"),
        draft.price_tiers.map((t, i) => h("div", { class: "line" },
          field("Id", text(() => t.id, (v) => (t.id = v), { size: 6 })),
          field("Name", text(() => t.name, (v) => (t.name = v))),
          field(`Price (${draft.currency})`, h("input", { type: "number", step: "0.01", min: 0, disabled: !editable, value: (t.price / 100).toFixed(2),
            oninput: (e) => (t.price = Math.round(Number(e.target.value) * 100)) })),
          remove(`tier ${t.id}`, () => draft.price_tiers.splice(i, 1)),
        )),
        editable ? h("button", { type: "button", onclick: () => {
          draft.price_tiers.push({ id: `t${draft.price_tiers.length + 1}`, name: "", price: 0 });
          draw();
        } }, "Add a price tier") : null,
      ),
      h("fieldset", {}, h("legend", {}, "Seated sections"),
        draft.layout.sections.map((s, si) => h("div", { class: "section-edit" },
          h("div", { class: "line" },
            field("Section id", text(() => s.id, (v) => (s.id = v), { size: 6 })),
            field("Name", text(() => s.name, (v) => (s.name = v))),
            field("Tier", tierSelect(() => s.tier, (v) => (s.tier = v))),
            remove(`section ${s.name || s.id}`, () => draft.layout.sections.splice(si, 1)),
          ),
          h("table", {}, h("caption", {}, `Rows of ${s.name || s.id}`),
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Row"), h("th", { scope: "col" }, "Seats"), h("th", { scope: "col" }, "Tier"), h("th", {}, ""))),
            h("tbody", {}, s.rows.map((r, ri) => h("tr", {},
              h("td", {}, text(() => r.label, (v) => (r.label = v), { size: 4, "aria-label": `Row ${ri + 1} label` })),
              h("td", {}, number(() => r.seats, (v) => (r.seats = v), { min: 1, max: 500, "aria-label": `Seats in row ${r.label}` })),
              h("td", {}, tierSelect(() => r.tier, (v) => (r.tier = v), true)),
              h("td", {}, remove(`row ${r.label}`, () => s.rows.splice(ri, 1))),
            ))),
          ),
          editable ? rowAdder(s) : null,
        )),
        editable ? h("button", { type: "button", onclick: () => {
          const n = draft.layout.sections.length + 1;
          draft.layout.sections.push({ id: `S${n}`, name: `Section ${n}`, tier: draft.price_tiers[0]?.id || "", rows: [{ label: "A", seats: 10 }] });
          draw();
        } }, "Add a section") : null,
      ),
      h("fieldset", {}, h("legend", {}, "Standing areas"),
        draft.layout.ga_areas.map((a, ai) => h("div", { class: "line" },
          field("Area id", text(() => a.id, (v) => (a.id = v), { size: 8 })),
          field("Name", text(() => a.name, (v) => (a.name = v))),
          field("Tier", tierSelect(() => a.tier, (v) => (a.tier = v))),
          field("Capacity", number(() => a.capacity, (v) => (a.capacity = v), { min: 1 })),
          remove(`area ${a.name || a.id}`, () => draft.layout.ga_areas.splice(ai, 1)),
        )),
        editable ? h("button", { type: "button", onclick: () => {
          draft.layout.ga_areas.push({ id: `floor${draft.layout.ga_areas.length || ""}`, name: "Standing", tier: draft.price_tiers[0]?.id || "", capacity: 100 });
          draw();
        } }, "Add a standing area") : null,
      ),
      h("p", { class: "total" }, `${seats} seats and ${places} standing places.`),
    );
  }

  function rowAdder(section) {
    const count = h("input", { type: "number", min: 1, max: 100, value: 5 });
    const per = h("input", { type: "number", min: 1, max: 500, value: 20 });
    return h("div", { class: "line adder" },
      field("Add rows", count),
      field("Seats each", per),
      h("button", { type: "button", onclick: () => {
        let label = section.rows.at(-1)?.label ?? "";
        for (let i = 0; i < Number(count.value); i++) {
          label = label ? nextLabel(label) : "A";
          section.rows.push({ label, seats: Number(per.value) });
        }
        draw();
      } }, "Add"),
    );
  }

  const payload = () => ({
    ...draft,
    venue: { name: draft.venue.name, city: draft.venue.city, ...(draft.venue.address ? { address: draft.venue.address } : {}) },
    layout: {
      sections: draft.layout.sections.map((s) => ({ ...s, rows: s.rows.map((r) => (r.tier ? r : { label: r.label, seats: r.seats })) })),
      ga_areas: draft.layout.ga_areas,
    },
  });

  async function save() {
    const r = event
      ? await call("PATCH", `/events/${event.id}`, { body: payload() })
      : await call("POST", "/events", { body: payload() });
    if (!r.ok) {
      say("error", describe(r));
      return null;
    }
    event = r.data;
    remember(event.id);
    return event;
  }

  const actions = h("div", { class: "actions" });
  if (editable) {
    actions.append(
      h("button", { type: "button", onclick: async () => {
        const wasNew = !event;
        if (await save()) {
          if (wasNew) location.hash = `#/organiser/events/${event.id}`;
          else say("info", "Draft saved.");
        }
      } }, "Save draft"),
      h("button", { type: "button", class: "primary", onclick: async () => {
        if (!(await save())) return;
        const p = await call("POST", `/events/${event.id}/publish`);
        if (!p.ok) return say("error", describe(p));
        remember(event.id);
        location.hash = `#/organiser/events/${event.id}`;
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      } }, "Publish"),
    );
  }
  const extra = [];
  if (event && event.status === "published") {
    actions.append(
      h("a", { class: "button", href: `#/events/${event.id}` }, "Public page"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm("Cancel this event? It goes off sale at once and every booking is refunded.")) return;
        const c = await call("POST", `/events/${event.id}/cancel`, { key: newKey() });
        if (!c.ok) return say("error", describe(c));
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      } }, "Cancel event"),
    );
    extra.push(sales(event), doorStaff(event));
  }
  if (event && event.status === "cancelled") extra.push(notice("info", "This event is cancelled; its bookings are refunded."), sales(event));
  main.replaceChildren(
    h("h1", {}, event ? event.title || "Draft" : "New event"),
    event ? h("p", {}, h("span", { class: `badge ${event.status}` }, event.status), ` · id `, h("code", {}, event.id)) : null,
    status,
    ...extra,
    body,
    actions,
  );
  draw();
}

/** Sales so far: the booking figures the count-sales subscriber keeps from the bus (what was
 * sold, refunded and kept), then per block what the live seat map shows sold, held and free. */
function sales(event) {
  const price = (tier) => event.price_tiers.find((t) => t.id === tier)?.price ?? 0;
  const figures = h("p", { class: "big", "aria-live": "polite" }, "Counting…");
  const detail = h("p", { class: "muted" });
  call("GET", `/events/${event.id}/sales`).then((r) => {
    if (!r.ok) return figures.replaceChildren(notice("error", describe(r)));
    const s = r.data;
    figures.replaceChildren(`${s.net_tickets} ${s.net_tickets === 1 ? "ticket" : "tickets"} sold · ${money(s.net, s.currency)} taken`);
    const parts = [`${s.bookings} ${s.bookings === 1 ? "booking" : "bookings"} paid (${money(s.gross, s.currency)})`];
    if (s.cancelled_bookings) parts.push(`${s.cancelled_bookings} cancelled and refunded (${money(s.refunded, s.currency)})`);
    if (s.failed_bookings) parts.push(`${s.failed_bookings} declined or failed`);
    detail.replaceChildren(`${parts.join(" · ")}. A booking shows here a moment after it is confirmed.`);
  });
  const rows = [];
  for (const s of event.seat_map?.sections || []) {
    const count = { available: 0, held: 0, sold: 0 };
    let gross = 0;
    for (const r of s.rows) for (const seat of r.seats) {
      count[seat.state]++;
      if (seat.state === "sold") gross += price(r.tier);
    }
    rows.push([s.name, count.sold, count.held, count.available, gross]);
  }
  for (const a of event.seat_map?.ga_areas || []) {
    rows.push([a.name, a.sold, a.held, a.available, a.sold * price(a.tier)]);
  }
  return h("section", { class: "sales", "aria-labelledby": "sales-h" },
    h("h2", { id: "sales-h" }, "Sales"),
    figures,
    detail,
    h("table", {},
      h("caption", {}, "On the seat map now"),
      h("thead", {}, h("tr", {}, ["Block", "Sold", "Held", "Available", "At list price"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map(([name, sold, held, free, gross]) =>
        h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, sold), h("td", {}, held), h("td", {}, free), h("td", {}, money(gross, event.currency))))),
    ),
  );
}

function doorStaff(event) {
  const email = h("input", { type: "email", name: "staff-email", autocomplete: "off" });
  const status = h("div", { "aria-live": "polite" });
  const list = h("ul");
  const show = (view) => list.replaceChildren(...view.door_staff.map((d) => h("li", {}, d.email, " ",
    h("button", { type: "button", class: "link danger", onclick: async () => {
      const r = await call("DELETE", `/events/${event.id}/staff/${d.user_id}`);
      if (!r.ok) return status.replaceChildren(notice("error", describe(r)));
      show(r.data);
    } }, `Remove ${d.email}`))));
  return h("section", { class: "staff" },
    h("h2", {}, "Door staff"),
    h("p", {}, "Door accounts on this event may scan its tickets."),
    list,
    h("form", { class: "inline", onsubmit: async (e) => {
      e.preventDefault();
      const r = await call("POST", `/events/${event.id}/staff`, { body: { email: email.value.trim() } });
      if (!r.ok) return status.replaceChildren(notice("error", r.error?.code === "door_account_not_found" ? "No door-staff account has that email." : describe(r)));
      status.replaceChildren(notice("info", `${email.value.trim()} can scan this event's tickets.`));
      email.value = "";
      show(r.data);
    } }, field("Door-staff email", email), h("button", { type: "submit" }, "Add")),
    status,
  );
}
