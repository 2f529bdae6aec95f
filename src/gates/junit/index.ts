export { JUnitReader, parseJUnit } from "./parse-junit.js";
