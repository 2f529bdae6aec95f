/* global process, URL */
// A tiny HTTP service standing in for one host of the example fleet. It runs a
// "version" in-process: `good` answers every request, `bad` fails half of them
// with 500. POST /deploy?version=NAME switches the version, as a deploy to
// this host would. GET /metrics serves Prometheus counters labelled by host,
// version and status code. No dependencies: node server.mjs --port P --name N.
import http from "node:http";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const name = args.name ?? "host";
let version = args.version ?? "good";
const counts = new Map();

function count(code) {
  const key = `${version}\u0000${code}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function metrics() {
  const lines = ["# HELP app_requests_total Requests answered, by version and status code.", "# TYPE app_requests_total counter"];
  // Series exist from the start at 0, so rates are defined as soon as traffic flows.
  for (const code of ["200", "500"]) if (!counts.has(`${version}\u0000${code}`)) counts.set(`${version}\u0000${code}`, 0);
  for (const [key, value] of counts) {
    const [v, code] = key.split("\u0000");
    lines.push(`app_requests_total{host="${name}",version="${v}",code="${code}"} ${value}`);
  }
  return lines.join("\n") + "\n";
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    return res.end(metrics());
  }
  if (url.pathname === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ status: "ok", host: name, version }));
  }
  if (url.pathname === "/deploy" && req.method === "POST") {
    version = url.searchParams.get("version") ?? version;
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ host: name, version }) + "\n");
  }
  const fail = version === "bad" && Math.random() < 0.5;
  count(fail ? "500" : "200");
  res.writeHead(fail ? 500 : 200, { "content-type": "text/plain" });
  res.end(fail ? "internal error\n" : `hello from ${name} (${version})\n`);
});

server.listen(Number(args.port ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${name} listening on ${server.address().port} running ${version}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
