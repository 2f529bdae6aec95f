/**
 * A yes/no preference kept in localStorage, so it holds across pages and
 * visits (GitHub keeps "Show timestamps" the same way). Storage that is
 * unavailable (private mode, blocked) leaves the default, for this page only.
 */
import { useCallback, useState } from "react";

function readFlag(key: string, fallback: boolean): boolean {
  try {
    const stored = window.localStorage.getItem(key);
    return stored === null ? fallback : stored === "true";
  } catch {
    return fallback;
  }
}

export function useStoredFlag(key: string, fallback = false): [boolean, (value: boolean) => void] {
  const [value, setValue] = useState(() => readFlag(key, fallback));
  const update = useCallback(
    (next: boolean) => {
      setValue(next);
      try {
        window.localStorage.setItem(key, String(next));
      } catch {
        // Not remembered; the choice still holds on this page.
      }
    },
    [key],
  );
  return [value, update];
}
