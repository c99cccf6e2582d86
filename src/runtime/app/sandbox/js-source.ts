/**
 * The program QuickJS evaluates for one `js` block: a one-line prelude, the block's code as
 * written (so its line N is the program's line N + 1), and a one-line epilogue.
 *
 * The prelude reads the inputs from the JSON string the worker put in `globalThis.__rllm$inputs`
 * and declares one `var` per input and output; the block assigns to them. Whether the block ends,
 * returns early or throws, the epilogue stores in `__rllm$result` a JSON envelope:
 *   {"ok":true,"json":"<the outputs as JSON>"}
 *   {"ok":false,"kind":"error"|"output","name":...,"message":...,"stack":...}
 * Outputs are checked inside the sandbox (set, JSON values only, no cycle, not too big), so a
 * bad output is reported with its path and never crosses to the host.
 */

/** Lines the prelude adds before the block's first line. */
export const JS_PRELUDE_LINES = 1;

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if import in instanceof let new null return static super switch this throw " +
    "true try typeof var void while with yield await implements interface package private protected public"
  ).split(" "),
);

/** Why `name` cannot be a variable of a js block, or undefined if it can. */
export function invalidJsName(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `'${name}' is not an identifier`;
  if (RESERVED.has(name)) return `'${name}' is a reserved word in JavaScript`;
  return undefined;
}

/** Checks one output and returns why it is not JSON, or undefined. Runs inside QuickJS. */
const CHECK_JSON = `function __rllm$notJson(value, path, parents) {
  switch (typeof value) {
    case "string": case "boolean": return undefined;
    case "number": return isFinite(value) ? undefined : path + " is " + value + ", which JSON cannot hold";
    case "undefined": return path + " is undefined";
    case "function": return path + " is a function";
    case "bigint": return path + " is a BigInt";
    case "symbol": return path + " is a Symbol";
  }
  if (value === null) return undefined;
  if (parents.indexOf(value) >= 0) return path + " is a circular reference";
  var proto = Object.getPrototypeOf(value);
  parents.push(value);
  try {
    if (Array.isArray(value)) {
      for (var i = 0; i < value.length; i++) {
        var inArray = __rllm$notJson(value[i], path + "[" + i + "]", parents);
        if (inArray) return inArray;
      }
    } else if (proto === Object.prototype || proto === null) {
      for (var key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
        var inObject = __rllm$notJson(value[key], path + "." + key, parents);
        if (inObject) return inObject;
      }
    } else {
      var kind = proto && proto.constructor && proto.constructor.name;
      return path + " is " + (kind ? "a " + kind : "not a plain object") + ", not a JSON value";
    }
  } finally { parents.pop(); }
  return undefined;
}`;

export function jsProgram(
  code: string,
  inputs: readonly string[],
  outputs: readonly string[],
  maxOutputBytes: number,
): string {
  const declared = [...inputs, ...outputs.filter((name) => !inputs.includes(name))];
  const declarations = declared
    .map((name) => (inputs.includes(name) ? `${name} = __rllm$in[${JSON.stringify(name)}]` : name))
    .join(", ");
  const collected = outputs.map((name) => `[${JSON.stringify(name)}, ${name}]`).join(", ");
  const prelude =
    `var __rllm$result; var console = { log: function () {}, info: function () {}, warn: function () {}, error: function () {}, debug: function () {} }; ` +
    `(function () { var __rllm$in = JSON.parse(globalThis.__rllm$inputs); delete globalThis.__rllm$inputs; ` +
    `var __rllm$caught; ${declared.length > 0 ? `var ${declarations};` : ""} try {`;
  const epilogue =
    `\n} catch (error) { __rllm$caught = { error: error }; } finally { ` +
    `__rllm$result = __rllm$caught ? __rllm$failure(__rllm$caught.error) : __rllm$outputs([${collected}], ${maxOutputBytes}); } })();\n` +
    `${CHECK_JSON}\n${FAILURE}\n${OUTPUTS}\n__rllm$result`;
  return `${prelude}\n${code}${epilogue}`;
}

/** Describes what the block threw; never throws itself. Runs inside QuickJS. */
const FAILURE = `function __rllm$failure(error) {
  var described = { ok: false, kind: "error", name: "", message: "", stack: "" };
  try {
    if (error instanceof Error) {
      described.name = String(error.name);
      described.message = String(error.message);
      described.stack = String(error.stack);
    } else {
      described.message = "uncaught " + (typeof error === "string" ? JSON.stringify(error) : String(error));
    }
  } catch (e) {
    described.message = "uncaught value that cannot be shown";
  }
  return JSON.stringify(described);
}`;

/** Checks and serialises the outputs. Runs inside QuickJS. */
const OUTPUTS = `function __rllm$outputs(pairs, maxChars) {
  var outputs = {};
  for (var i = 0; i < pairs.length; i++) {
    var name = pairs[i][0], value = pairs[i][1];
    if (value === undefined) return JSON.stringify({ ok: false, kind: "output", message: "output '" + name + "' was not set" });
    var why = __rllm$notJson(value, name, []);
    if (why) return JSON.stringify({ ok: false, kind: "output", message: "output " + why });
    outputs[name] = value;
  }
  var json = JSON.stringify(outputs);
  if (json.length > maxChars)
    return JSON.stringify({ ok: false, kind: "output", message: "outputs are larger than the limit of " + maxChars + " bytes of JSON" });
  return JSON.stringify({ ok: true, json: json });
}`;
