/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests that scrape
 * `/metrics` or read a `--metrics-file`: `# HELP` and `# TYPE` lines, samples
 * `name{label="value",…} number`, label values with `\\`, `\"` and `\n` escapes. A line that is
 * none of these throws, naming it, so a malformed exposition fails the test. No vitest imports.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each metric family. */
  readonly types: Readonly<Record<string, string>>;
  readonly help: Readonly<Record<string, string>>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  const help: Record<string, string> = {};
  for (const [index, line] of text.split("\n").entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta === null) continue; // a comment
      if (meta[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3]!))
          throw new Error(`unknown type at ${where}`);
        types[meta[2]!] = meta[3]!;
      } else help[meta[2]!] = meta[3]!;
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`no metric name at ${where}`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      rest = rest.slice(1);
      while (!rest.startsWith("}")) {
        const label = LABEL.exec(rest)?.[0];
        if (label === undefined || rest[label.length] !== "=" || rest[label.length + 1] !== '"')
          throw new Error(`bad label at ${where}`);
        rest = rest.slice(label.length + 2);
        let value = "";
        for (;;) {
          const c = rest[0];
          if (c === undefined) throw new Error(`unterminated label value at ${where}`);
          rest = rest.slice(1);
          if (c === '"') break;
          if (c === "\\") {
            const e = rest[0];
            rest = rest.slice(1);
            if (e === "n") value += "\n";
            else if (e === "\\" || e === '"') value += e;
            else throw new Error(`bad escape at ${where}`);
          } else value += c;
        }
        labels[label] = value;
        if (rest.startsWith(",")) rest = rest.slice(1);
        else if (!rest.startsWith("}")) throw new Error(`expected , or } at ${where}`);
      }
      rest = rest.slice(1);
    }
    const fields = rest.trim().split(/\s+/);
    if (!rest.startsWith(" ") || fields.length < 1 || fields.length > 2)
      throw new Error(`bad sample at ${where}`);
    const value = fields[0] === "+Inf" ? Infinity : fields[0] === "-Inf" ? -Infinity : Number(fields[0]);
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes "Nan").
    if (Number.isNaN(value) && fields[0]!.toLowerCase() !== "nan") throw new Error(`bad value at ${where}`);
    samples.push({ name, labels, value });
  }
  return { samples, types, help };
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when none. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
