/** Options and result types of the expression API (re-exported by index.ts). */

export interface StatusFunctions {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

export interface EvaluateOptions {
  /** Status for success()/failure()/cancelled(); always() is always true. Default: success. */
  status?: StatusFunctions;
  /** hashFiles(patterns...) implementation; it reads the file system, so the caller supplies it. */
  hashFiles?: (patterns: string[]) => string;
  /** Where the expression came from, for error messages. */
  position?: { file: string; line: number; col: number };
}

export interface ExpressionSyntaxError {
  message: string;
  /** 0-based offset within the text given. */
  offset: number;
}
