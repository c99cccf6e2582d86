/** `--redis` URLs: what each becomes for the client, how it is printed, and the mistakes. */
import { describe, expect, it } from "vitest";
import { parseRedisUrl, reason, redactText } from "../../src/driver/queue/connection.js";
import { failedReasonOf, JobError, parseFailedReason } from "../../src/driver/queue/job-error.js";
import { jobId } from "../../src/driver/queue/job-id.js";

describe("parseRedisUrl", () => {
  it.each([
    ["redis://127.0.0.1", { host: "127.0.0.1", port: 6379 }, "redis://127.0.0.1"],
    ["redis://cache:6380/3", { host: "cache", port: 6380, db: 3 }, "redis://cache:6380/3"],
    [
      "redis://:s3cret@cache:6380",
      { host: "cache", port: 6380, password: "s3cret" },
      "redis://:***@cache:6380",
    ],
    [
      "rediss://ops:p%40ss@cache.internal:6380/1",
      {
        host: "cache.internal",
        username: "ops",
        password: "p@ss",
        db: 1,
        tls: { servername: "cache.internal" },
      },
      "rediss://ops:***@cache.internal:6380/1",
    ],
    ["rediss://127.0.0.1:6380", { host: "127.0.0.1", tls: {} }, "rediss://127.0.0.1:6380"],
    ["redis://user@[::1]:7000", { host: "::1", port: 7000, username: "user" }, "redis://user@[::1]:7000"],
  ])("should read %s", (url, options, redacted) => {
    const target = parseRedisUrl(url);
    expect(target.options).toMatchObject(options);
    expect(target.redacted).toBe(redacted);
  });

  it.each([
    ["http://cache:6379", /must start with redis:\/\/ or rediss:\/\/ \(TLS\), not 'http:\/\/'/],
    ["cache:6379", /must start with redis:\/\//],
    ["not a url", /must be a URL like redis:\/\/host:6379/],
    [
      "redis://:pw@cache:6379/db",
      /the path is the database number \(0-15\), not '\/db' \(redis:\/\/:\*\*\*@cache:6379\/db\)/,
    ],
    ["redis://cache:6379?tls=true", /takes no query or fragment/],
  ])("should refuse %s with a message that holds no password", (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
    try {
      parseRedisUrl(url);
    } catch (error) {
      expect((error as Error).message).not.toContain("pw@");
    }
  });

  it("should take the URL and its password out of any text", () => {
    const target = parseRedisUrl("redis://:hunter2secret@cache:6379");
    expect(redactText("ERR at redis://:hunter2secret@cache:6379: auth hunter2secret failed", target)).toBe(
      "ERR at redis://:***@cache:6379: auth *** failed",
    );
  });

  it.each([
    [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      /connection refused/,
    ],
    [
      new Error("WRONGPASS invalid username-password pair or user is disabled."),
      /user name or password is wrong/,
    ],
    [new Error("NOAUTH Authentication required."), /asks for a password/],
    [Object.assign(new Error("getaddrinfo ENOTFOUND nope"), { code: "ENOTFOUND" }), /no such host/],
  ])("should say %s in a few words", (error, words) => {
    expect(reason(error)).toMatch(words);
  });
});

describe("job errors and ids", () => {
  it("should keep a job's error as JSON and read BullMQ's own reasons too", () => {
    const stored = failedReasonOf(new JobError("QUEUE_BAD_PAYLOAD", "no text"), "w1");
    expect(parseFailedReason(stored)).toEqual({
      code: "QUEUE_BAD_PAYLOAD",
      message: "no text",
      worker: "w1",
    });
    expect(parseFailedReason(failedReasonOf(new TypeError("x is undefined"), "w2"))).toEqual({
      code: "QUEUE_WORKER_ERROR",
      message: "x is undefined",
      worker: "w2",
    });
    expect(parseFailedReason("job stalled more than allowable limit").code).toBe("QUEUE_STALLED");
    expect(parseFailedReason(undefined).code).toBe("QUEUE_WORKER_ERROR");
  });

  it("should give the same payload the same id, and another payload another, with no ':' and never an integer", () => {
    const a = jobId("compile", { path: "a.md", text: "# A" });
    expect(jobId("compile", { path: "a.md", text: "# A" })).toBe(a);
    expect(jobId("compile", { path: "a.md", text: "# A\n" })).not.toBe(a);
    expect(jobId("compile", { path: "b.md", text: "# A" })).not.toBe(a);
    expect(a).toMatch(/^compile-[0-9a-f]{40}$/);
  });
});
