/**
 * `--input` and `--input-file` of `run` and `validate`: JSON, YAML or plain text. The YAML parser
 * is loaded only for input that is not JSON, so the common case starts faster.
 */
import { readFileSync } from "node:fs";
import type { JsonSchema } from "../runtime/app/app.js";
import { AppErrors, appError } from "../runtime/app/errors.js";

/**
 * The ways an input's text can be read, most structured first: as JSON, as YAML (a mapping or a
 * list), and as the text itself — which, for an app whose input is an object with exactly one
 * string property (or one required string property), fills that property, so
 * `--input "some text"` works for a one-field app. The caller takes the first reading that
 * matches `input_schema` ({@link chooseInput}), so prose that happens to parse as YAML
 * (`Subject: meeting at 3pm`) or as a JSON scalar (`2024`) still reaches a text field. A JSON
 * object or list is only ever read as JSON.
 */
export async function parseInputText(text: string, schema: JsonSchema): Promise<unknown[]> {
  const readings: unknown[] = [];
  try {
    const json: unknown = JSON.parse(text);
    // A JSON object or list is meant as one: a typo in it is reported, never read as prose.
    if (json !== null && typeof json === "object") return [json];
    readings.push(json);
  } catch {
    try {
      const { parse: parseYaml } = await import("yaml");
      const yaml: unknown = parseYaml(text);
      if (yaml !== null && typeof yaml === "object") readings.push(yaml);
    } catch {
      // not YAML either
    }
  }
  readings.push(wrapString(text, schema));
  return readings;
}

/** The first reading that passes `validate`; the first one when none does (its errors are reported). */
export function chooseInput(
  readings: readonly unknown[],
  validate: (value: unknown) => { errors: readonly unknown[] },
): unknown {
  return readings.find((reading) => validate(reading).errors.length === 0) ?? readings[0];
}

/** `--input-file`: `.json` and `.yaml` files are read as such, `.txt` and `.md` as text, others as `--input`. */
export async function readInputFile(path: string, schema: JsonSchema): Promise<unknown[]> {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a folder"
          : code === "EACCES"
            ? "permission denied"
            : (code ?? String(error));
    throw appError(AppErrors.InputFileUnreadable, { path, reason }, { details: { file: path } });
  }
  if (/\.(txt|text|md|markdown)$/i.test(path)) return [wrapString(text, schema)];
  if (/\.json$/i.test(path)) {
    try {
      return [JSON.parse(text)];
    } catch (error) {
      throw appError(
        AppErrors.InputFileNotJson,
        { path, detail: (error as Error).message },
        { details: { file: path } },
      );
    }
  }
  if (/\.ya?ml$/i.test(path)) {
    const { parse: parseYaml } = await import("yaml");
    try {
      return [parseYaml(text)];
    } catch (error) {
      // The YAML parser recurses: a value nested thousands of levels deep overflows its stack.
      const detail =
        error instanceof RangeError || /Maximum call stack size exceeded/.test((error as Error).message)
          ? "it is nested too deeply to read"
          : (error as Error).message.split("\n")[0];
      throw appError(AppErrors.InputFileNotYaml, { path, detail }, { details: { file: path } });
    }
  }
  return parseInputText(text, schema);
}

function wrapString(text: string, schema: JsonSchema): unknown {
  if (schema.type === "string") return text;
  const properties = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const strings = Object.keys(properties).filter((name) => properties[name]?.type === "string");
  const requiredStrings = strings.filter((name) => required.includes(name));
  const target =
    requiredStrings.length === 1 ? requiredStrings[0] : strings.length === 1 ? strings[0] : undefined;
  return target === undefined ? text : { [target]: text };
}
