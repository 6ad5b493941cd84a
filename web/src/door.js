// Door staff: scan a ticket with the camera where the browser can read QR codes, else paste
// its text or upload a photo of it; a big answer says admitted or refused, and why.
import jsQR from "jsqr";
import { call, describe, session } from "./api.js";
import { h, notice, field } from "./dom.js";

export async function doorPage({ main, signal }) {
  if (!session()) {
    main.replaceChildren(h("h1", {}, "Door"), notice("info", "Log in with a door-staff account to scan tickets."), h("a", { href: "#/login" }, "Log in"));
    return;
  }
  const gate = h("input", { name: "gate", value: localStorage.getItem("stagepass.gate") || "Main", maxlength: 40, required: true });
  const qr = h("textarea", { name: "qr", rows: 3, placeholder: "The text of the ticket's QR code" });
  const answer = h("div", { class: "verdict", "aria-live": "assertive" });
  let busy = false;

  async function check(text) {
    if (busy || !text.trim()) return;
    busy = true;
    localStorage.setItem("stagepass.gate", gate.value.trim());
    answer.className = "verdict";
    answer.replaceChildren(h("p", { class: "loading" }, "Checking…"));
    const r = await call("POST", "/checkins", { body: { qr: text.trim(), gate: gate.value.trim() } });
    busy = false;
    if (r.ok) {
      answer.className = "verdict admitted";
      answer.replaceChildren(h("p", { class: "word" }, "ADMITTED"), h("p", {}, `Seat ${r.data.seat} · gate ${r.data.gate}`));
    } else {
      answer.className = "verdict refused";
      const used = r.error?.code === "ticket_already_used";
      answer.replaceChildren(h("p", { class: "word" }, "REFUSED"), h("p", {}, describe(r)),
        used && r.error?.message ? h("p", {}, r.error.message) : null);
    }
    qr.value = "";
    qr.focus();
  }

  const upload = h("input", { type: "file", accept: "image/*", capture: "environment", onchange: async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const text = await decodeImage(file);
    if (text) check(text);
    else {
      answer.className = "verdict refused";
      answer.replaceChildren(h("p", { class: "word" }, "NO QR FOUND"), h("p", {}, "No QR code could be read in that picture. Try again, closer and flatter."));
    }
    e.target.value = "";
  } });

  const camera = h("div", { class: "camera" });
  if ("BarcodeDetector" in window && navigator.mediaDevices?.getUserMedia) {
    camera.append(h("button", { type: "button", onclick: () => startCamera(camera, signal, check) }, "Scan with the camera"));
  }

  main.replaceChildren(
    h("h1", {}, "Door"),
    field("Gate", gate),
    camera,
    h("form", { class: "scan", onsubmit: (e) => {
      e.preventDefault();
      check(qr.value);
    } }, field("Ticket QR text", qr, "A scanner that types into this box works too."), h("button", { type: "submit", class: "primary" }, "Check ticket")),
    field("Or a photo of the QR code", upload),
    answer,
  );
  qr.focus();
}

async function decodeImage(file) {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return jsQR(pixels.data, pixels.width, pixels.height)?.data || null;
}

async function startCamera(box, signal, check) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch {
    box.replaceChildren(notice("error", "The camera could not be opened. Paste the QR text or upload a photo instead."));
    return;
  }
  const video = h("video", { autoplay: true, playsinline: true, muted: true, "aria-label": "Camera" });
  video.srcObject = stream;
  box.replaceChildren(video);
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  let last = "";
  const loop = setInterval(async () => {
    try {
      const [code] = await detector.detect(video);
      if (code && code.rawValue !== last) {
        last = code.rawValue;
        check(code.rawValue);
      }
    } catch {
      // A frame that could not be read: try the next.
    }
  }, 300);
  signal.addEventListener("abort", () => {
    clearInterval(loop);
    stream.getTracks().forEach((t) => t.stop());
  });
}

