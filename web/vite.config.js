// The web app is static files: `npm run build` writes them to dist/, which `make run` serves at
// http://127.0.0.1:3000/ beside the API and the template's bucket serves through CloudFront.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  // `npm run dev` on :5173 calls the API of `make run` (start it with
  // STAGEPASS_ALLOWED_ORIGIN=http://localhost:5173 so the browser may read its answers).
  server: { port: 5173 },
});
