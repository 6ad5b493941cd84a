// The seat map the pages draw, from a layout and the route's run-length availability.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRuns, seatMap } from "../src/seatmap.js";

test("runs decode to one state per seat", () => {
  assert.deepEqual(decodeRuns("2a1s3h"), ["available", "available", "sold", "held", "held", "held"]);
  assert.deepEqual(decodeRuns("12s").length, 12);
  assert.deepEqual(decodeRuns(""), []);
});

test("the layout and the availability make every seat, and a refused seat shows taken", () => {
  const event = {
    layout: {
      sections: [{ id: "A", name: "Stalls", tier: "std", rows: [{ label: "1", seats: 3 }, { label: "2", seats: 2, tier: "vip" }] }],
      ga_areas: [{ id: "floor", name: "Floor", tier: "std", capacity: 100 }],
    },
  };
  const availability = {
    as_of: "2026-11-25T10:00:00Z",
    sections: [{ id: "A", rows: [{ label: "1", runs: "1a1s1a" }, { label: "2", runs: "2a" }] }],
    ga_areas: [{ id: "floor", capacity: 100, available: 90, held: 4, sold: 6 }],
  };
  const map = seatMap(event, availability, new Set(["A-2-2"]));
  assert.deepEqual(map.sections[0].rows[0].seats.map((s) => `${s.id}:${s.state}`), ["A-1-1:available", "A-1-2:sold", "A-1-3:available"]);
  assert.deepEqual(map.sections[0].rows[1].seats.map((s) => s.state), ["available", "held"]);
  assert.equal(map.sections[0].rows[1].tier, "vip");
  assert.equal(map.ga_areas[0].available, 90);
  assert.equal(map.ga_areas[0].name, "Floor");
});
