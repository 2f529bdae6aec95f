/**
 * The logger the parts of Slipway take as a dependency: messages at three
 * levels, nothing more. The server hands its pino logger in; the runner
 * prints to the console; tests pass a recorder or `silentLogger`.
 */
export interface MessageLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: MessageLogger = { info() {}, warn() {}, error() {} };
