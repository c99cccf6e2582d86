/**
 * The TTY flow of `rllmc review`: for each change its coloured diff, rationale and citations,
 * then one key — `[a]pply [s]kip [e]dit [q]uit [A]pply all safe` — read by a prompt made with
 * `@inquirer/core` (no raw-mode code of our own). `e` opens the change's content or patch in
 * `$VISUAL`/`$EDITOR` (`@inquirer/editor`), checks it by every gate on save and re-opens the
 * editor with the reason when a gate refuses it.
 */
import { extname } from "node:path";
import { createPrompt, useKeypress, usePrefix, useState } from "@inquirer/core";
import editor from "@inquirer/editor";
import type { Answer, AskContext, SuggestionEvent } from "../driver/review/session.js";
import { colorsFor } from "./color.js";

type Key = "apply" | "skip" | "edit" | "quit" | "apply-all-safe";

const NAMES: Readonly<Record<Key, string>> = {
  apply: "apply",
  skip: "skip",
  edit: "edit",
  quit: "quit",
  "apply-all-safe": "apply all safe",
};

/** One key, no Enter: a s e q, and A (shift+a). */
const chooseKey = createPrompt<Key, { message: string }>((config, done) => {
  const [status, setStatus] = useState<"idle" | "done">("idle");
  const [chosen, setChosen] = useState<Key | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const prefix = usePrefix({ status });
  useKeypress((key, rl) => {
    rl.clearLine(0);
    const answer: Key | undefined =
      key.name === "a"
        ? key.shift
          ? "apply-all-safe"
          : "apply"
        : key.name === "s"
          ? "skip"
          : key.name === "e"
            ? "edit"
            : key.name === "q"
              ? "quit"
              : undefined;
    if (answer === undefined) {
      setError("press a, s, e, q or A");
      return;
    }
    setChosen(answer);
    setStatus("done");
    done(answer);
  });
  if (status === "done" && chosen !== undefined) return `${prefix} ${config.message} ${NAMES[chosen]}`;
  return [
    `${prefix} ${config.message} [a]pply [s]kip [e]dit [q]uit [A]pply all safe`,
    error === undefined ? "" : error,
  ];
});

/** The `ask` of the review session on this terminal; `show` prints a suggestion. */
export function terminalAsk(
  show: (suggestion: SuggestionEvent) => void,
): (suggestion: SuggestionEvent, context: AskContext) => Promise<Answer> {
  return async (suggestion, context) => {
    const c = colorsFor(process.stdout);
    show(suggestion);
    if (context.note !== undefined) process.stdout.write(`    ${c.yellow(context.note)}\n`);
    const key = await chooseKey({ message: `${suggestion.id}:` });
    if (key !== "edit") return key;
    const edited = await editor({
      message: `Edit ${suggestion.id} (${context.payloadKind === "patch" ? "its patch" : suggestion.target}); save and close to check it`,
      default: context.payload,
      waitForUserInput: false,
      validate: async (text) => (await context.check(text)) ?? true,
      file: {
        postfix: context.payloadKind === "patch" ? ".diff" : extname(suggestion.target) || ".txt",
      },
    });
    return { edited };
  };
}
