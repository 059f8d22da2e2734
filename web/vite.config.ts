import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The administrator console: root `web/`, built to `web/dist`, which the API server
 * serves with an SPA fallback to index.html for every non-/api path. In development
 * (`npm run dev:web`) /api, /openapi.json and /docs go to the server on :8080.
 */
const root = fileURLToPath(new URL(".", import.meta.url));
const api = process.env.ORCHARD_API_URL ?? "http://localhost:8080";

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: { port: 5173, proxy: { "/api": api, "/openapi.json": api, "/docs": api } },
});
