// Builds the web UI into dist/ui (index.html + hashed assets) for `slipway server` to serve.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  plugins: [react()],
  build: {
    outDir: path.resolve(here, "../../dist/ui"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev:ui` against a local `slipway server` on its default port (SLIPWAY_API overrides).
    proxy: { "/api": process.env.SLIPWAY_API ?? "http://127.0.0.1:8080" },
  },
});
