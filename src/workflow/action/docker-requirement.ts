/**
 * Jobs that need a container engine: `container:` or `services:`. The host
 * executor runs steps directly on the machine, so such a job fails with
 * DOCKER_REQUIRED naming it; the caller decides when (planning or start).
 */
import { SlipwayError } from "../../lib/index.js";
import type { Job, Template } from "../model.js";

function describeImage(value: Template | undefined): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && !Array.isArray(value) && typeof value.image === "string") return value.image;
  return "";
}

/** DOCKER_REQUIRED for a job with `container:` or `services:`, or undefined when it can run on the host. */
export function findDockerRequirement(
  job: Pick<Job, "id" | "container" | "services"> & { position?: Job["position"] },
): SlipwayError | undefined {
  const parts: string[] = [];
  if (job.container !== undefined && job.container !== null && job.container !== "") {
    const image = describeImage(job.container);
    parts.push(`container: ${image || "(expression)"}`);
  }
  if (job.services !== undefined && job.services !== null) {
    const names =
      typeof job.services === "object" && !Array.isArray(job.services) ? Object.keys(job.services) : [];
    parts.push(`services: ${names.length > 0 ? names.join(", ") : "(expression)"}`);
  }
  if (parts.length === 0) return undefined;
  return new SlipwayError("DOCKER_REQUIRED", `job '${job.id}' declares ${parts.join(" and ")}, which needs Docker`, {
    ...(job.position ? { position: job.position } : {}),
  });
}
