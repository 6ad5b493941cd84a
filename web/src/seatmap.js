// The seat map as the pages draw it, from the event's layout (sections, rows, seat counts:
// fixed once published) and the live availability (GET /events/{id}/seat-map: per row a
// run-length string such as "12a3s5a", per area its counts).

const STATES = { a: "available", h: "held", s: "sold" };

/** "2a1s" → ["available", "available", "sold"]. */
export function decodeRuns(runs) {
  const out = [];
  for (const [, n, c] of runs.matchAll(/(\d+)([ahs])/g)) {
    for (let i = 0; i < Number(n); i++) out.push(STATES[c]);
  }
  return out;
}

/** Every seat with its state, and every area with its counts, in the layout's order. Seats
 * in `gone` (a hold was just refused for them) show as held even if the map, up to two
 * seconds old, does not know yet. */
export function seatMap(event, availability, gone = new Set()) {
  const rowsOf = new Map();
  for (const s of availability.sections) {
    for (const r of s.rows) rowsOf.set(`${s.id}/${r.label}`, decodeRuns(r.runs));
  }
  const areas = new Map(availability.ga_areas.map((a) => [a.id, a]));
  return {
    as_of: availability.as_of,
    sections: event.layout.sections.map((s) => ({
      id: s.id,
      name: s.name,
      rows: s.rows.map((r) => {
        const states = rowsOf.get(`${s.id}/${r.label}`) || [];
        return {
          label: r.label,
          tier: r.tier || s.tier,
          seats: Array.from({ length: r.seats }, (_, i) => {
            const id = `${s.id}-${r.label}-${i + 1}`;
            let state = states[i] || "available";
            if (state === "available" && gone.has(id)) state = "held";
            return { id, number: i + 1, state };
          }),
        };
      }),
    })),
    ga_areas: event.layout.ga_areas.map((a) => {
      const live = areas.get(a.id) || { available: a.capacity, held: 0, sold: 0 };
      return { id: a.id, name: a.name, tier: a.tier, capacity: a.capacity, available: live.available, held: live.held, sold: live.sold };
    }),
  };
}
