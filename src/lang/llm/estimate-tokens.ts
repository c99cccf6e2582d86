/**
 * The token estimate that `max_context_window` is enforced with — at compile time by the
 * context-window check (src/passes) and before every call by the runtime, so both agree.
 *
 * It is conservative on purpose: no single tokenizer is right for every model, and an estimate
 * that is too low lets a call fail at the provider after the prompt was paid for. BPE tokenizers
 * (GPT, Llama, Claude) average about four characters of English per token; we count three, and
 * every character outside ASCII as a token of its own (CJK, emoji and accented text split finely).
 * On English prose this over-estimates by roughly a quarter to a third.
 */

/** Characters of ASCII text counted as one token. */
export const ASCII_CHARS_PER_TOKEN = 3;

/** Tokens a chat message costs beyond its text (role markers, separators). */
export const TOKENS_PER_MESSAGE = 4;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / ASCII_CHARS_PER_TOKEN) + other;
}

/** The estimate for a list of chat messages. */
export function estimateMessageTokens(messages: readonly { readonly content: string }[]): number {
  let total = 0;
  for (const message of messages) total += estimateTokens(message.content) + TOKENS_PER_MESSAGE;
  return total;
}
