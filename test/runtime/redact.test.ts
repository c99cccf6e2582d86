import { describe, expect, it } from "vitest";
import { REDACTED, Redactor, urlSecrets } from "../../src/runtime/shared/redact.js";

describe("Redactor", () => {
  const env = {
    LLM_API_KEY: "key-1234567890",
    GITHUB_TOKEN: "ghp_abcdefghij",
    DB_PASSWORD: "hunter2!x",
    MY_SECRET_THING: "s3cr3t-value",
    HOME: "/home/user",
    SHORT_KEY: "abc",
    TOKENIZERS_PARALLELISM: "false",
  };
  const redactor = Redactor.fromEnv(env);

  it("should redact the values of variables named like KEY, TOKEN, SECRET and PASSWORD", () => {
    const text = "key-1234567890 ghp_abcdefghij hunter2!x s3cr3t-value /home/user abc false";
    expect(redactor.text(text)).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} /home/user abc false`);
  });

  it("should redact bearer tokens, provider keys and key=value pairs never seen before", () => {
    const r = new Redactor([]);
    expect(r.text("Authorization: Bearer abc.def-ghi_jkl")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.text("used sk-proj-AbCdEfGhIjKlMnOpQrSt here")).toBe(`used ${REDACTED} here`);
    expect(r.text("url?api_key=zzzzzzzz&x=1")).toBe(`url?api_key=${REDACTED}&x=1`);
    expect(r.text("at http://alice:s3cr3tpass@host:8000/v1")).toBe(`at http://${REDACTED}@host:8000/v1`);
    expect(r.text('{"password": "correct-horse"}')).toBe(`{"password": "${REDACTED}"}`);
    expect(r.text('"max_tokens": 512, "tokens": 3')).toBe('"max_tokens": 512, "tokens": 3');
  });

  it("should redact deep values and secret headers, keeping the shape", () => {
    const value = {
      headers: { Authorization: "anything", "x-api-key": "whatever", accept: "json" },
      list: ["ok", "key-1234567890"],
      nested: { n: 1, deeper: { s: "prefix hunter2!x suffix", flag: false } },
    };
    expect(redactor.value(value)).toEqual({
      headers: { Authorization: REDACTED, "x-api-key": REDACTED, accept: "json" },
      list: ["ok", REDACTED],
      nested: { n: 1, deeper: { s: `prefix ${REDACTED} suffix`, flag: false } },
    });
  });

  it("should replace a secret that contains another as a whole", () => {
    const r = new Redactor(["abcdefgh", "abcdefghijkl"]);
    expect(r.text("abcdefghijkl abcdefgh")).toBe(`${REDACTED} ${REDACTED}`);
  });

  it("should find a secret with quotes and backslashes in values, keeping the JSON valid", () => {
    const r = new Redactor(['hunter"22\\x']);
    const out = JSON.stringify(r.value({ text: 'my pw is hunter"22\\x' }));
    expect(JSON.parse(out)).toEqual({ text: `my pw is ${REDACTED}` });
  });
});

describe("urlSecrets", () => {
  it("should give a URL's password as written and decoded, and nothing for a URL without one", () => {
    expect(urlSecrets("https://bob:s3cret%40pw@host/v1")).toEqual(["s3cret%40pw", "s3cret@pw"]);
    expect(urlSecrets("https://bob:plainpassword@host")).toEqual(["plainpassword"]);
    expect(urlSecrets("https://bob@host")).toEqual([]);
    expect(urlSecrets("not a url")).toEqual([]);
    expect(urlSecrets(undefined)).toEqual([]);
    const redactor = Redactor.fromEnv({}, urlSecrets("https://bob:plainpassword@host"));
    expect(redactor.text("echo: plainpassword")).toBe(`echo: ${REDACTED}`);
  });
});
