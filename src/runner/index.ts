/** The host runner: executes one job (a JobRequest) on this machine. */
export type * from "./uses.js";
