/** Reading a secret or variable value that is not on the command line: piped on stdin, or typed at a terminal. */

/** Reads a secret value from stdin (to its end, one trailing newline dropped) or, on a terminal, from a hidden prompt. */
export function readSecretValue(stdin: NodeJS.ReadStream = process.stdin, prompt: (text: string) => void = (t) => process.stderr.write(t)): Promise<string> {
  if (!stdin.isTTY) {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stdin.on("data", (c: Buffer) => chunks.push(c));
      stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "")));
      stdin.on("error", reject);
    });
  }
  prompt("Secret value (input hidden): ");
  return new Promise((resolve) => {
    let value = "";
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", onData);
          prompt("\n");
          return resolve(value);
        }
        if (ch === "\u0003") process.exit(130);
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** Reads a variable value: stdin to its end (one trailing newline dropped) or, on a terminal, one visible line. */
export function readPlainValue(stdin: NodeJS.ReadStream = process.stdin, prompt: (text: string) => void = (t) => process.stderr.write(t)): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stdin.isTTY) prompt("Value: ");
    let text = "";
    const onData = (chunk: Buffer | string) => {
      text += String(chunk);
      const newline = text.indexOf("\n");
      if (stdin.isTTY && newline >= 0) {
        finish();
        resolve(text.slice(0, newline).replace(/\r$/, ""));
      }
    };
    const onEnd = () => {
      finish();
      resolve(text.replace(/\r?\n$/, ""));
    };
    const onError = (error: Error) => {
      finish();
      reject(error);
    };
    const finish = () => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      stdin.off("error", onError);
      if (stdin.isTTY) stdin.pause();
    };
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.on("error", onError);
  });
}
