/** The per-commit result of secret scanning, as the deployment gates read it. */
import type { Store } from "../../store/index.js";

type SecretScanConclusion = "success" | "failure" | "pending" | "none";

/**
 * The conclusion of the check `slipway/secret-scan` for a pushed commit: `none` when no push
 * scanned it, `pending` while its scan runs, `failure` while any alert it
 * carries (found in its push or inherited from the push before) is open,
 * `success` otherwise — resolving the alerts turns a failure into a success.
 */
export async function secretScanConclusion(store: Store, repositoryId: number, sha: string): Promise<SecretScanConclusion> {
  const result = await store.getCommitSecretScan(repositoryId, sha);
  if (!result) return "none";
  if (result.status === "pending") return "pending";
  const alerts = await store.listSecretAlertsByNumber(repositoryId, result.alertNumbers);
  return alerts.some((a) => a.state === "open") ? "failure" : "success";
}
