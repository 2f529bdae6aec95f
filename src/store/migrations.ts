/**
 * Versioned schema migrations, in code (applied by migrate.ts, in version
 * order). Append new migrations to the newest file of migrations/; never edit
 * an applied one.
 */
import type { Migration } from "./migrate.js";
import { INITIAL } from "./migrations/v01-initial.js";
import { CI_MIGRATIONS } from "./migrations/v02-v16.js";
import { DELIVERY_MIGRATIONS } from "./migrations/v14-v24.js";
import { RELEASE_MIGRATIONS } from "./migrations/v25-v29.js";
import { STAMP_MIGRATIONS } from "./migrations/v32.js";
import { BATCH_MIGRATIONS } from "./migrations/v35.js";

export const MIGRATIONS: Migration[] = [...INITIAL, ...CI_MIGRATIONS, ...DELIVERY_MIGRATIONS, ...RELEASE_MIGRATIONS, ...STAMP_MIGRATIONS, ...BATCH_MIGRATIONS];
