// Fans: find an event, pick seats on the live map (or general-admission places), hold them
// with a countdown, and pay.
import { call, describe, session, guest, newKey, can } from "./api.js";
import { h, notice, money, when, field } from "./dom.js";
import { seatMap } from "./seatmap.js";

const CATEGORIES = ["concert", "sports", "theatre", "comedy", "festival", "other"];
/** The payment provider's test cards (the simulator and Stripe's test mode know them). */
export const TEST_CARDS = [
  ["pm_card_visa", "Visa ending 4242 (succeeds)"],
  ["pm_card_chargeDeclined", "Card declined"],
  ["pm_card_chargeDeclinedInsufficientFunds", "Insufficient funds"],
];

export async function searchPage({ main }) {
  const params = new URLSearchParams(sessionStorage.getItem("stagepass.search") || "");
  const city = h("input", { name: "city", value: params.get("city") || "", autocomplete: "address-level2" });
  const category = h(
    "select",
    { name: "category" },
    h("option", { value: "" }, "Any"),
    CATEGORIES.map((c) => h("option", { value: c, selected: params.get("category") === c }, c)),
  );
  const results = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "search", role: "search", onsubmit: (e) => {
      e.preventDefault();
      run();
    } },
    field("City", city),
    field("Category", category),
    h("button", { type: "submit" }, "Search"),
  );
  async function run() {
    const q = new URLSearchParams();
    if (city.value.trim()) q.set("city", city.value.trim());
    if (category.value) q.set("category", category.value);
    sessionStorage.setItem("stagepass.search", q.toString());
    results.replaceChildren(h("p", { class: "loading" }, "Searching…"));
    const r = await call("GET", "/events?" + q, { auth: false });
    if (!r.ok) return results.replaceChildren(notice("error", describe(r)));
    const events = r.data.events;
    if (!events.length) return results.replaceChildren(notice("info", "No events found. Try another city or category."));
    results.replaceChildren(
      h("ul", { class: "cards" }, events.map((e) =>
        h("li", { class: "card" },
          h("a", { href: `#/events/${e.id}` }, h("h2", {}, e.title)),
          h("p", {}, `${e.venue.name}, ${e.venue.city}`),
          h("p", {}, when(e.starts_at), " · ", e.category),
        ),
      )),
    );
  }
  main.replaceChildren(h("h1", {}, "Find an event"), form, results);
  await run();
}

export async function eventPage({ main, signal }, id) {
  const auth = !!session();
  const [r, m] = await Promise.all([
    call("GET", `/events/${id}`, { auth }),
    call("GET", `/events/${id}/seat-map`, { auth }),
  ]);
  if (!r.ok || !m.ok) {
    main.replaceChildren(h("h1", {}, "Event"), notice("error", describe(r.ok ? m : r)), h("a", { href: "#/" }, "All events"));
    return;
  }
  const event = r.data;
  // Seats a hold was refused for: the map may not show them taken for a second or two.
  const gone = new Set();
  event.seat_map = seatMap(event, m.data);
  const picked = new Set();
  const gaWanted = new Map();
  const status = h("div", { "aria-live": "polite" });
  const mapBox = h("div", { class: "seatmap" });
  const summary = h("div", { class: "summary" });
  let hold = null;
  // The waiting room's admission for this event, once the queue lets this fan in.
  const admissionKey = `stagepass.admission.${id}`;
  const admission = () => sessionStorage.getItem(admissionKey) || undefined;
  const queueBox = h("section", { class: "queue", "aria-live": "polite" });
  let queueTimer = null;
  signal.addEventListener("abort", () => clearTimeout(queueTimer));

  const tierPrice = (tier) => event.price_tiers.find((t) => t.id === tier)?.price ?? 0;
  const priceOfSeat = new Map();
  const drawMap = () => {
    const m = event.seat_map;
    const sections = m.sections.map((s) =>
      h("section", { class: "block", "aria-label": `Section ${s.name}` },
        h("h3", {}, s.name),
        s.rows.map((row) =>
          h("div", { class: "row", role: "group", "aria-label": `Row ${row.label}` },
            h("span", { class: "row-label", "aria-hidden": "true" }, row.label),
            row.seats.map((seat) => {
              priceOfSeat.set(seat.id, tierPrice(row.tier));
              const free = seat.state === "available";
              const mine = picked.has(seat.id);
              return h("button", {
                type: "button",
                class: `seat ${seat.state}${mine ? " picked" : ""}`,
                "data-seat": seat.id,
                disabled: !free || !!hold,
                "aria-pressed": mine ? "true" : "false",
                "aria-label": `Row ${row.label} seat ${seat.number}, ${free ? money(tierPrice(row.tier), event.currency) : seat.state}`,
                onclick: () => {
                  mine ? picked.delete(seat.id) : picked.add(seat.id);
                  draw();
                },
              }, String(seat.number));
            }),
          ),
        ),
      ),
    );
    const areas = m.ga_areas.map((a) => {
      const input = h("input", {
        type: "number", min: 0, max: Math.min(a.available, 10), value: gaWanted.get(a.id) || 0,
        "data-area": a.id, disabled: !!hold || a.available === 0,
        oninput: (e) => {
          gaWanted.set(a.id, Math.max(0, Math.min(Number(e.target.value) || 0, a.available)));
          drawSummary();
        },
      });
      return h("section", { class: "block ga" },
        h("h3", {}, a.name),
        h("p", {}, `${a.available} of ${a.capacity} places left · ${money(tierPrice(a.tier), event.currency)} each`),
        field(`Places on ${a.name}`, input),
      );
    });
    mapBox.replaceChildren(
      h("p", { class: "legend" },
        h("span", { class: "seat available", "aria-hidden": "true" }), " available ",
        h("span", { class: "seat picked", "aria-hidden": "true" }), " your pick ",
        h("span", { class: "seat held", "aria-hidden": "true" }), " held ",
        h("span", { class: "seat sold", "aria-hidden": "true" }), " sold"),
      ...sections,
      ...areas,
    );
  };
  const total = () => {
    let sum = 0;
    for (const s of picked) sum += priceOfSeat.get(s) || 0;
    for (const a of event.seat_map.ga_areas) sum += (gaWanted.get(a.id) || 0) * tierPrice(a.tier);
    return sum;
  };
  const drawSummary = () => {
    if (hold) return;
    const places = picked.size + [...gaWanted.values()].reduce((a, b) => a + b, 0);
    const children = [h("p", {}, places ? `${places} selected · ${money(total(), event.currency)}` : "Pick seats on the map or places in an area.")];
    if (places) children.push(buyerControls());
    summary.replaceChildren(...children);
  };
  const draw = () => {
    drawMap();
    drawSummary();
  };

  // Who buys: a fan's account, or a guest with just an email.
  function buyerControls() {
    const s = session();
    if (s && (can("fan") || s.user.roles.includes("guest"))) {
      return h("button", { type: "button", class: "primary", onclick: holdSeats }, "Hold these seats");
    }
    if (s) return notice("info", "Staff accounts don't buy tickets. Log out to buy as a fan or a guest.");
    const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
    return h("form", { class: "guest", onsubmit: async (e) => {
      e.preventDefault();
      const g = await guest(email.value.trim());
      if (!g.ok) return status.replaceChildren(notice("error", describe(g)));
      await holdSeats();
    } },
      h("p", {}, h("a", { href: "#/login" }, "Log in"), " or continue as a guest: your tickets go to your email."),
      field("Email for your tickets", email),
      h("button", { type: "submit", class: "primary" }, "Continue as guest"),
    );
  }

  async function refreshMap() {
    const again = await call("GET", `/events/${id}/seat-map`, { auth: !!session() });
    if (again.ok) {
      event.seat_map = seatMap(event, again.data, gone);
      // Seats someone else took meanwhile are no longer picked.
      const states = new Map(event.seat_map.sections.flatMap((s) => s.rows.flatMap((r) => r.seats.map((x) => [x.id, x.state]))));
      for (const sid of [...picked]) if (states.get(sid) !== "available" && !hold) picked.delete(sid);
      draw();
    }
  }

  async function holdSeats() {
    const body = {
      seats: [...picked],
      ga: [...gaWanted].filter(([, n]) => n > 0).map(([area, quantity]) => ({ area, quantity })),
    };
    status.replaceChildren(h("p", { class: "loading" }, "Holding…"));
    const r = await call("POST", `/events/${id}/holds`, { body, key: newKey(), admission: admission() });
    if (r.error?.code === "queue_token_required") {
      sessionStorage.removeItem(admissionKey);
      status.replaceChildren();
      draw();
      return showQueue(null);
    }
    if (!r.ok) {
      const taken = r.error?.seats?.length ? ` (${r.error.seats.join(", ")})` : "";
      for (const seat of r.error?.seats || []) gone.add(seat);
      status.replaceChildren(notice("error", describe(r) + taken));
      await refreshMap();
      return;
    }
    hold = r.data;
    status.replaceChildren();
    draw();
    showHold();
  }

  function showHold() {
    const left = h("strong", { class: "countdown", role: "timer", "aria-live": "off" });
    const card = h("select", { name: "payment_method" }, TEST_CARDS.map(([v, t]) => h("option", { value: v }, t)));
    const pay = h("button", { type: "submit", class: "primary" }, `Pay ${money(hold.total.amount, hold.total.currency)}`);
    const tick = () => {
      const ms = new Date(hold.expires_at) - Date.now();
      if (ms <= 0) {
        summary.replaceChildren(notice("error", "Your hold ran out, so the seats went back on sale. Pick them again."));
        hold = null;
        picked.clear();
        gaWanted.clear();
        refreshMap();
        return false;
      }
      const m = Math.floor(ms / 60000);
      const s = Math.floor((ms % 60000) / 1000);
      left.textContent = `${m}:${String(s).padStart(2, "0")}`;
      return true;
    };
    tick();
    const timer = setInterval(() => tick() || clearInterval(timer), 1000);
    signal.addEventListener("abort", () => clearInterval(timer));
    const checkoutKey = newKey();
    summary.replaceChildren(
      h("p", {}, "Held for you: ", h("strong", {}, [...hold.seats, ...hold.places].join(", ")), ". Time left: ", left),
      h("form", { class: "checkout", onsubmit: async (e) => {
        e.preventDefault();
        pay.disabled = true;
        status.replaceChildren(h("p", { class: "loading" }, "Paying…"));
        // One key per hold: pressing Pay twice, or a retry after a lost answer, books once.
        const r = await call("POST", "/bookings", { body: { hold_id: hold.id, payment_method: card.value }, key: checkoutKey, admission: admission() });
        if (!r.ok) {
          pay.disabled = false;
          return status.replaceChildren(notice("error", describe(r)));
        }
        clearInterval(timer);
        location.hash = `#/bookings/${r.data.id}`;
      } },
        field("Payment (test cards)", card),
        pay,
        h("button", { type: "button", class: "secondary", onclick: async () => {
          const r = await call("DELETE", `/holds/${hold.id}`, { key: newKey() });
          if (!r.ok) return status.replaceChildren(notice("error", describe(r)));
          clearInterval(timer);
          hold = null;
          picked.clear();
          gaWanted.clear();
          await refreshMap();
          status.replaceChildren(notice("info", "Released. The seats are back on sale."));
        } }, "Release"),
      ),
    );
  }

  // The waiting room: join, then the page asks again when the answer says to, and shows the
  // place and the wait until the fan is let in.
  function showQueue(place) {
    clearTimeout(queueTimer);
    const heading = h("h2", {}, "Waiting room");
    if (!place) {
      const join = async () => {
        const r = await call("POST", `/events/${id}/queue`);
        if (!r.ok) return queueBox.replaceChildren(heading, notice("error", describe(r)));
        showQueue(r.data);
      };
      return queueBox.replaceChildren(heading,
        h("p", {}, "This on-sale has a waiting room: join the queue and you'll be let in to pick seats in turn."),
        h("button", { type: "button", class: "primary", onclick: join }, "Join the queue"));
    }
    if (place.status === "admitted") {
      sessionStorage.setItem(admissionKey, place.admission_token);
      const until = new Date(place.admission_expires_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      return queueBox.replaceChildren(notice("info", `It's your turn! Pick your seats and pay by ${until}.`));
    }
    if (place.status === "expired") {
      return queueBox.replaceChildren(heading, notice("error", "Your turn in the queue has passed."));
    }
    const where = place.position
      ? `You are number ${place.position.toLocaleString()} in the queue.`
      : "You're in the queue. When the sale opens, everyone who came early gets a place drawn at random.";
    const wait = place.estimated_wait_secs == null ? "Admission is paused for a moment."
      : place.estimated_wait_secs < 90 ? "Your turn is about a minute away."
        : `Estimated wait: about ${Math.round(place.estimated_wait_secs / 60)} minutes.`;
    queueBox.replaceChildren(heading,
      h("p", { class: "queue-position" }, where), h("p", {}, wait),
      h("p", {}, "Keep this page open: it updates by itself."));
    queueTimer = setTimeout(async () => {
      const r = await call("GET", `/events/${id}/queue`);
      showQueue(r.ok ? r.data : place);
    }, (place.retry_after_secs || 5) * 1000);
  }

  const info = h("div", { class: "event-head" },
    h("h1", {}, event.title),
    h("p", {}, `${event.venue.name}, ${event.venue.city}`, event.venue.address ? ` · ${event.venue.address}` : ""),
    h("p", {}, when(event.starts_at)),
    event.description ? h("p", {}, event.description) : null,
    event.status !== "published" ? notice("info", `This event is ${event.status}.`) : null,
  );
  main.replaceChildren(info, queueBox, status, mapBox, summary);
  draw();
  // A fan who already joined (or reloads the page) sees their place at once.
  if (auth && !admission()) {
    const q = await call("GET", `/events/${id}/queue`);
    if (q.ok) showQueue(q.data);
    else if (q.error?.code === "not_in_queue") showQueue(null);
  }
  // The map is live: others' holds and sales show up while a fan looks.
  const live = setInterval(() => hold || refreshMap(), 5000);
  signal.addEventListener("abort", () => clearInterval(live));
}
