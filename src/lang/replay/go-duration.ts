/**
 * Go's `time.ParseDuration`, for a scenario's `session.ttl` and `respond.delay`: a signed sequence
 * of decimal numbers, each with a unit (`300ms`, `-1.5h`, `2h45m`); units `ns`, `us` (or `µs`,
 * `μs`), `ms`, `s`, `m`, `h`; `0` alone needs no unit. Error messages are Go's.
 */
import { goQuote } from "./go-format.js";

export type DurationResult =
  | { readonly ok: true; readonly nanoseconds: number }
  | { readonly ok: false; readonly error: string };

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** The largest Go duration (int64 nanoseconds, 2^63 - 1), as near as a double gets. */
const MAX_NANOSECONDS = 2 ** 63 - 1;

export function parseGoDuration(text: string): DurationResult {
  const invalid: DurationResult = { ok: false, error: `time: invalid duration ${goQuote(text)}` };
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, nanoseconds: 0 };
  if (s === "") return invalid;
  let total = 0;
  while (s !== "") {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = number[1] ?? "";
    const fraction = number[2];
    if (whole === "" && (fraction === undefined || fraction === "")) return invalid;
    s = s.slice(number[0].length);
    const unitEnd = s.search(/[0-9.]/);
    const unit = unitEnd < 0 ? s : s.slice(0, unitEnd);
    if (unit === "") return { ok: false, error: `time: missing unit in duration ${goQuote(text)}` };
    const scale = UNITS[unit];
    if (scale === undefined)
      return { ok: false, error: `time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}` };
    s = s.slice(unit.length);
    total += Number(`${whole || "0"}.${fraction || "0"}`) * scale;
    if (total > MAX_NANOSECONDS) return invalid;
  }
  return { ok: true, nanoseconds: negative ? -total : total };
}
