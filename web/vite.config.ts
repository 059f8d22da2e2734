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

/**
 * Libraries in chunks of their own, apart from the console's code (each page is a chunk too:
 * src/app/lazy-page.tsx): they change only when a dependency is upgraded, so a browser keeps
 * them cached across Orchard's releases (the server caches /assets/ as immutable), and no
 * chunk passes Vite's 500 kB warning.
 */
const VENDOR_CHUNKS = [
  { name: "react", test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 3 },
  { name: "router", test: /node_modules[\\/]react-router[\\/]/, priority: 2 },
  { name: "vendor", test: /node_modules[\\/]/, priority: 1 },
];

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: { output: { codeSplitting: { groups: VENDOR_CHUNKS } } },
  },
  server: { port: 5173, proxy: { "/api": api, "/openapi.json": api, "/docs": api } },
});
