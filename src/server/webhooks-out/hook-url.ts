/**
 * Which URLs a webhook or a custom protection rule may call: http(s) only,
 * and — as for repository URLs — a host must resolve to public addresses
 * unless the instance's settings allow it (allowedRepositoryHosts,
 * allowPrivateRepositoryHosts). Checked when the URL is saved and again at
 * each delivery, which then connects only to the addresses just checked.
 */
import { redactUrl, SlipwayError } from "../../lib/index.js";
import { classifyAddress, hostAllowed, resolveHost, type RepositoryUrlSettings } from "../repository-url.js";

const MAX_URL = 2048;

function refused(field: string, url: string, reason: string): SlipwayError {
  return new SlipwayError("HOOK_URL_REFUSED", `${field} ${redactUrl(url)} is refused: ${reason}`);
}

/**
 * The parsed URL and the addresses its host resolves to. When saving
 * (`saving`), a name that resolves to nothing yet is accepted; a delivery
 * refuses it.
 */
export async function checkHookUrl(url: string, settings: RepositoryUrlSettings, options: { field: string; saving: boolean }): Promise<{ url: URL; addresses: string[] }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused(options.field, url, "not a URL");
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || /\s/.test(url) || url.length > MAX_URL) {
    throw refused(options.field, url, `only http:// and https:// URLs of at most ${MAX_URL} characters are accepted`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const addresses = await resolveHost(host);
  if (addresses.length === 0) {
    if (options.saving) return { url: parsed, addresses };
    throw refused(options.field, url, `the host name ${host} does not resolve`);
  }
  if (!hostAllowed(host, settings)) {
    for (const address of addresses) {
      const what = classifyAddress(address);
      if (what !== null) throw refused(options.field, url, `${host} resolves to a ${what} address`);
    }
  }
  return { url: parsed, addresses };
}
