/** The `slipway` executable: runs the command line and exits with its code. */
import { main } from "./program.js";
import { renderInternalError } from "./render/index.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (e) => {
    process.stderr.write(renderInternalError(e));
    process.exitCode = 1;
  },
);
