/**
 * Property tests' text mutator: a seed with a few spans replaced — up to `maxRemove` characters
 * taken out at a random place and a token or a short random string put in.
 */
import fc from "fast-check";

export function mutatedText(
  seed: string,
  tokens: fc.Arbitrary<string>,
  maxRemove: number,
): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat(seed.length), fc.nat(maxRemove), fc.oneof(tokens, fc.string({ maxLength: 4 }))), {
      minLength: 1,
      maxLength: 6,
    })
    .map((edits) => {
      let text = seed;
      for (const [at, remove, insert] of edits) {
        const i = Math.min(at, text.length);
        text = text.slice(0, i) + insert + text.slice(i + remove);
      }
      return text;
    });
}
