// A fan's bookings: the one just paid for (followed until the payment settles), every booking
// of the account, tickets with their QR codes, and cancelling.
import QRCode from "qrcode";
import { call, describe, forget, newKey, session } from "./api.js";
import { verifyBanner } from "./account.js";
import { h, notice, money, when } from "./dom.js";

const STATUS = {
  pending: "Payment in progress…",
  confirmed: "Confirmed: your tickets are below and on their way by email.",
  failed: "Not booked",
  cancelled: "Cancelled and refunded",
};

/** Why a booking failed or was cancelled, in words (the codes of BookingView.reason). */
const REASONS = {
  card_declined: "Your card was declined, so nothing was charged and the seats went back on sale.",
  insufficient_funds: "Your card was declined for insufficient funds, so nothing was charged and the seats went back on sale.",
  payment_declined: "Your payment was declined, so nothing was charged and the seats went back on sale.",
  payment_unavailable: "The payment provider could not be reached, so nothing was charged. Please try again.",
  seats_taken: "Your hold ran out before the payment went through and the seats were sold to someone else; you were not charged.",
  event_cancelled: "The event was cancelled, so you were not charged.",
  saga_lost: "The booking could not be completed; you were not charged.",
};

function ticket(t, booking) {
  const canvas = h("canvas", { role: "img", "aria-label": `QR code for ticket ${t.seat}` });
  if (t.qr) QRCode.toCanvas(canvas, t.qr, { width: 220, margin: 2 }).catch(() => {});
  return h("li", { class: "ticket", "data-ticket": t.id },
    h("h3", {}, `Ticket: ${t.seat}`),
    t.qr ? canvas : null,
    t.qr ? h("details", {}, h("summary", {}, "QR text (for the door, if the camera can't read it)"), h("code", { class: "qr-text" }, t.qr)) : null,
    t.checked_in_at ? h("p", {}, `Used at ${t.gate}, ${when(t.checked_in_at)}`) : null,
    t.url ? h("p", {}, h("a", { href: t.url, target: "_blank", rel: "noopener" }, "Ticket PDF")) : null,
    h("p", { class: "muted" }, `${booking.event_title} · ${when(booking.starts_at)}`),
  );
}

function bookingView(b, onCancel) {
  const state = h("p", { class: `badge ${b.status}`, role: "status" }, STATUS[b.status] || b.status);
  return h("article", { class: "booking", "data-booking": b.id, "data-status": b.status },
    h("h2", {}, b.event_title),
    h("p", {}, `${b.venue} · ${when(b.starts_at)}`),
    state,
    b.reason ? h("p", {}, REASONS[b.reason] || `Reason: ${b.reason}`) : null,
    h("p", {}, `${b.seats.join(", ")} · ${money(b.total, b.currency)}${b.refunded ? " · refunded" : ""}`),
    b.tickets.length ? h("ul", { class: "tickets" }, b.tickets.map((t) => ticket(t, b))) : null,
    b.status === "confirmed" && onCancel
      ? h("button", { type: "button", class: "secondary", onclick: onCancel }, "Cancel booking (full refund)")
      : null,
  );
}

/** A guest who came through their emailed link may revoke it (it was forwarded, say). */
function guestLinkBox(onRevoked) {
  const s = session();
  if (!s?.link) return null;
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary", onclick: async () => {
    if (!confirm("Revoke this link? It stops working everywhere, and we email you a new one.")) return;
    button.disabled = true;
    const r = await call("POST", "/auth/guest-link/revoke", { body: { token: s.link }, auth: false });
    if (!r.ok) {
      button.disabled = false;
      return status.replaceChildren(notice("error", describe(r)));
    }
    forget();
    onRevoked(notice("info", `Revoked. A new link is on its way to ${r.data.email}.`));
  } }, "Revoke this link");
  return h("section", { class: "banner", "aria-label": "Your bookings link" },
    h("p", {}, `You opened these bookings with the link emailed to ${s.user.email}. Anyone with that link can see and cancel them.`),
    button, status);
}

export async function bookingPage({ main, signal }, id) {
  const status = h("div", { "aria-live": "polite" });
  const box = h("div");
  main.replaceChildren(...[h("h1", {}, "Your booking"), verifyBanner(), status, box].filter(Boolean));
  const cancelKey = newKey();
  const load = async () => {
    const r = await call("GET", `/bookings/${id}`);
    if (!r.ok) {
      status.replaceChildren(notice("error", describe(r)));
      return null;
    }
    box.replaceChildren(bookingView(r.data, async () => {
      if (!confirm("Cancel this booking? You get a full refund and the tickets stop working.")) return;
      const c = await call("POST", `/bookings/${id}/cancel`, { key: cancelKey });
      if (!c.ok) return status.replaceChildren(notice("error", describe(c)));
      status.replaceChildren(notice("info", "Cancelled. The refund is on its way."));
      await load();
    }));
    return r.data;
  };
  // The saga settles a booking in a second or two: follow it until it does.
  for (let i = 0; i < 120 && !signal.aborted; i++) {
    const b = await load();
    if (!b || b.status !== "pending") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function bookingsPage({ main }) {
  if (!session()) {
    main.replaceChildren(h("h1", {}, "My bookings"), notice("info", "Log in to see your bookings."), h("a", { href: "#/login" }, "Log in"));
    return;
  }
  const r = await call("GET", "/me/bookings?limit=50");
  if (!r.ok) return main.replaceChildren(h("h1", {}, "My bookings"), notice("error", describe(r)));
  const list = r.data.bookings;
  // Revoked: this browser's session ended with the link, so the bookings go too.
  const revoked = (message) => main.replaceChildren(h("h1", {}, "My bookings"), message);
  main.replaceChildren(
    h("h1", {}, "My bookings"),
    h("div", {}, verifyBanner(), guestLinkBox(revoked)),
    list.length
      ? h("ul", { class: "cards" }, list.map((b) => h("li", { class: "card" },
        h("a", { href: `#/bookings/${b.id}` }, h("h2", {}, b.event_title)),
        h("p", {}, `${when(b.starts_at)} · ${b.seats.join(", ")}`),
        h("p", { class: `badge ${b.status}` }, b.status),
      )))
      : notice("info", "No bookings yet."),
  );
}
