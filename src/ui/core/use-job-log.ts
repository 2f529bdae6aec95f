/**
 * Follows one job's log. The server streams it as server-sent events:
 *   event `log`, id = resume cursor, data = {"step": n, "text": "...", "time"?: ISO}
 *   (`time`, when the server sends it, is when the chunk was written)
 *   event `end` when the job has finished and every chunk was sent.
 * EventSource resumes after a dropped connection by sending Last-Event-ID,
 * so the server replays only what is missing. When the stream route is
 * refused (older server, proxy without SSE), the raw log is fetched instead
 * and fetched again while the job runs.
 */
import { useEffect, useRef, useState } from "react";
import { requestText } from "../api/client.js";
import { LogModel } from "./log-parse.js";

type LogStreamState = "connecting" | "live" | "reconnecting" | "ended" | "raw" | "error";

export interface JobLog {
  model: LogModel;
  /** Bumps whenever the model changed, to re-render. */
  version: number;
  state: LogStreamState;
  error?: string;
  /** Whether the lines know their steps (only the event stream says). */
  perStep: boolean;
}

const RAW_POLL_MS = 3000;

export function useJobLog(streamUrl: string, rawUrl: string, jobDone: boolean): JobLog {
  const modelRef = useRef(new LogModel());
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<LogStreamState>("connecting");
  const [error, setError] = useState<string>();
  const [perStep, setPerStep] = useState(true);
  const doneRef = useRef(jobDone);
  doneRef.current = jobDone;

  useEffect(() => {
    const model = new LogModel();
    modelRef.current = model;
    setVersion((v) => v + 1);
    setState("connecting");
    setError(undefined);
    setPerStep(true);
    let frame = 0;
    let closed = false;
    let opened = false;
    let rawTimer: number | undefined;
    const bump = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };

    const loadRaw = async () => {
      try {
        const text = await requestText(rawUrl.replace(/^\/api\/v3/, ""));
        if (closed) return;
        const fresh = new LogModel();
        fresh.append(0, text);
        fresh.finish();
        modelRef.current = fresh;
        setPerStep(false);
        setState(doneRef.current ? "ended" : "raw");
        setVersion((v) => v + 1);
        if (!doneRef.current) rawTimer = window.setTimeout(loadRaw, RAW_POLL_MS);
      } catch (e) {
        if (closed) return;
        setError((e as Error).message);
        setState("error");
        rawTimer = window.setTimeout(loadRaw, RAW_POLL_MS * 2);
      }
    };

    const source = new EventSource(streamUrl, { withCredentials: true });
    source.onopen = () => {
      opened = true;
      setState("live");
    };
    source.addEventListener("log", (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as { step?: number; text?: string; time?: unknown };
        model.append(typeof data.step === "number" ? data.step : 0, data.text ?? "", typeof data.time === "string" ? data.time : undefined);
        bump();
      } catch {
        // A malformed event is dropped; the raw download still has everything.
      }
    });
    source.addEventListener("end", () => {
      model.finish();
      source.close();
      setState("ended");
      bump();
    });
    source.onerror = () => {
      if (closed) return;
      if (source.readyState === EventSource.CLOSED) {
        // Refused outright (404, 401, wrong content type): fall back to the raw log.
        source.close();
        if (!opened) void loadRaw();
        else setState("error");
      } else {
        setState("reconnecting");
      }
    };
    return () => {
      closed = true;
      source.close();
      if (frame) cancelAnimationFrame(frame);
      if (rawTimer !== undefined) window.clearTimeout(rawTimer);
    };
  }, [streamUrl, rawUrl]);

  return { model: modelRef.current, version, state, error, perStep };
}
