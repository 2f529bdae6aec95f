/** The `slipway` executable: runs the command line and exits with its code. */
import { main } from "./program.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (e) => {
    process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
