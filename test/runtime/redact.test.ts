import { describe, expect, it } from "vitest";
import { REDACTED, Redactor } from "../../src/runtime/redact.js";

describe("Redactor", () => {
  const env = {
    LLM_API_KEY: "key-1234567890",
    GITHUB_TOKEN: "ghp_abcdefghij",
    DB_PASSWORD: "hunter2!",
    MY_SECRET_THING: "s3cr3t-value",
    HOME: "/home/user",
    SHORT_KEY: "abc",
  };
  const redactor = Redactor.fromEnv(env);

  it("should redact the values of variables named like KEY, TOKEN, SECRET and PASSWORD", () => {
    const text = "key-1234567890 ghp_abcdefghij hunter2! s3cr3t-value /home/user abc";
    expect(redactor.text(text)).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} /home/user abc`);
  });

  it("should redact bearer tokens, provider keys and key=value pairs never seen before", () => {
    const r = new Redactor([]);
    expect(r.text("Authorization: Bearer abc.def-ghi_jkl")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.text("used sk-proj-AbCdEfGhIjKlMnOpQrSt here")).toBe(`used ${REDACTED} here`);
    expect(r.text("url?api_key=zzzzzzzz&x=1")).toBe(`url?api_key=${REDACTED}&x=1`);
    expect(r.text('{"password": "correct-horse"}')).toBe(`{"password": "${REDACTED}"}`);
    expect(r.text('"max_tokens": 512, "tokens": 3')).toBe('"max_tokens": 512, "tokens": 3');
  });

  it("should redact deep values and secret headers, keeping the shape", () => {
    const value = {
      headers: { Authorization: "anything", "x-api-key": "whatever", accept: "json" },
      list: ["ok", "key-1234567890"],
      nested: { n: 1, deeper: { s: "prefix hunter2! suffix" } },
    };
    expect(redactor.value(value)).toEqual({
      headers: { Authorization: REDACTED, "x-api-key": REDACTED, accept: "json" },
      list: ["ok", REDACTED],
      nested: { n: 1, deeper: { s: `prefix ${REDACTED} suffix` } },
    });
  });

  it("should replace a secret that contains another as a whole", () => {
    const r = new Redactor(["abcd", "abcdefgh"]);
    expect(r.text("abcdefgh abcd")).toBe(`${REDACTED} ${REDACTED}`);
  });
});
