/** Help texts: the list of commands and each command's usage (kept in step with the CLI reference in README.md). */
export interface CommandDoc {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Lines printed after the summary. */
  readonly details?: readonly string[];
  readonly options: readonly (readonly [string, string])[];
}

const KIND_OPTION: readonly [string, string] = [
  "--kind <rllm|tsg|task>",
  "read every file as this kind instead of detecting it from extension and content",
];
const FORMAT_OPTION: readonly [string, string] = [
  "--format <text|json|sarif>",
  "text diagnostics on stderr (default), or JSON or a SARIF 2.1.0 log (for code scanning) on stdout",
];
const MAX_WARNINGS_OPTION: readonly [string, string] = [
  "--max-warnings <n>",
  "fail (exit 1) when there are more than n warnings, as eslint does",
];

export const COMMANDS: readonly CommandDoc[] = [
  {
    name: "check",
    summary:
      "parse and validate sources (.rllm apps, TSGs, tasks) and runbook or scenario .yaml files; print diagnostics",
    usage:
      "check <file|dir|glob>... [--kind K] [--format text|json|sarif] [--json] [--max-warnings N] [--quiet]",
    options: [
      [
        "--kind <rllm|tsg|task|runbook|scenario>",
        "read every file as this kind instead of detecting it from extension and content",
      ],
      FORMAT_OPTION,
      ["--json", "the same as --format json: {files, diagnostics, summary} on stdout"],
      MAX_WARNINGS_OPTION,
      ["--quiet", "print errors only, not warnings (warnings still count for --max-warnings)"],
    ],
  },
  {
    name: "compile",
    summary:
      "compile .rllm apps into typed ES modules (<name>.mjs + <name>.d.mts), or TSGs into governed runbooks (runbook.yaml + mapping.md)",
    usage:
      "compile <app.rllm>... [--out-dir D] [--runtime-import SPEC] [--format F] [--max-warnings N] [--json] [--quiet]\n" +
      "       compile <tsg.md|dir|glob>... [--out F] [--mapping F] [--out-dir D] [--llm off|cached|live] [--frozen] [--provider P] [--model M] [--base-url URL] [--cassette F] [--cache-dir D] [--no-cache] [--concurrency N|auto] [--format F] [--max-warnings N] [--json] [--quiet]",
    details: [
      "An .rllm app, and every child its uses reach, becomes <name>.mjs and <name>.d.mts beside the",
      "source or under --out-dir; nothing is written if any app has an error. A TSG becomes runbook.yaml",
      "(on stdout, or --out) and mapping.md (--mapping); several TSGs need --out-dir. Apps and TSGs",
      "compile in separate commands.",
    ],
    options: [
      [
        "--out-dir <dir>",
        "apps: write the modules under <dir>, keeping their paths; TSGs: <dir>/<path>/<name>/runbook.yaml and mapping.md",
      ],
      [
        "--runtime-import <spec>",
        "apps: the module specifier the generated code imports the runtime from (default rllmc/runtime)",
      ],
      ["--out, -o <file>", "TSG: write runbook.yaml here (one TSG; default: stdout)"],
      ["--mapping <file>", "TSG: write mapping.md here (one TSG)"],
      [
        "--llm <off|cached|live>",
        "the LLM interpretation pass: off (default), answers from the cache else the model, or always the model",
      ],
      ["--frozen", "with --llm cached: fail instead of calling a model when an answer is not cached"],
      ["--provider <name>", "the model's provider for --llm (env LLM_PROVIDER)"],
      ["--model <name>", "the model for --llm (env LLM_MODEL)"],
      ["--base-url <url>", "the provider's URL (env LLM_BASE_URL)"],
      ["--cassette <file>", "with --provider replay: the cassette of recorded provider answers"],
      ["--cache-dir <dir>", "the content-hash cache of results and model answers (default .rllmc/cache)"],
      ["--no-cache", "compile every TSG afresh (model answers still come from the cache with --llm cached)"],
      [
        "--format <text|json|sarif>",
        "text diagnostics on stderr (default), or JSON or a SARIF 2.1.0 log on stdout (a TSG then needs --out or --out-dir)",
      ],
      ["--json", "the same as --format json: per-file results, diagnostics and the summary"],
      MAX_WARNINGS_OPTION,
      ["--quiet", "print errors only, and no summary"],
      [
        "--concurrency <n|auto>, --max-concurrency <m>",
        "with --llm live|cached: TSGs compiled at once (default auto: the provider's capacity, else 4; docs/batch.md)",
      ],
      [
        "--redis <url>",
        "TSGs or .rllm apps: compile on workers ('rllmc worker') over Redis; same outputs, summary and exit code (docs/scale-out.md)",
      ],
      [
        "--attempts <n>, --backoff-ms <ms>",
        "with --redis: tries of a job (default 3), and the first retry's wait (default 2000, doubling)",
      ],
      [
        "--idle-timeout <s>, --redis-timeout <s>",
        "with --redis: give up when no job finishes for s (600), or Redis is gone for s (30)",
      ],
    ],
  },
  {
    name: "debug",
    summary:
      "step through a runbook in a REPL: next, continue, dump, print vars|captures, history, evidence, approve, snapshot",
    usage:
      "debug <runbook.yaml> --mode real|replay [--scenario S] [--var K=V]... [--as NAME] [--role R]... [--resume RUN]",
    options: [
      ["--mode <real|replay>", "run the steps for real, or answer cli steps from a replay scenario"],
      ["--scenario <file>", "with --mode replay: the cli-replay scenario"],
      ["--var <name=value>", "set a variable (repeatable)"],
      ["--as <name>", "who is running the runbook and approving (default: the login name)"],
      ["--role <role>", "a role the --as person holds, for approvals that require one (repeatable)"],
      [
        "--replay-engine <builtin|cli-replay>",
        "with --mode replay: the built-in engine (default) or a cli-replay binary on PATH",
      ],
      ["--resume <run_id|dir>", "continue a paused or interrupted run"],
      ["--run-id <id>", "the new run's id (default: a timestamp and random suffix)"],
      ["--run-dir <dir>", "where .runbook/runs/ is (default: the current folder)"],
      ["--trace-key-file <file>", "the key of the run manifest's HMAC (default: $RUNBOOK_TRACE_KEY)"],
    ],
  },
  {
    name: "exec",
    summary:
      "run a runbook: --mode real, replay (against a cli-replay scenario) or dry-run; trace, snapshots, evidence",
    usage:
      "exec <runbook.yaml> --mode real|replay|dry-run [--scenario S] [--var K=V]... [--evidence STEP.NAME=V]... [--attach STEP.NAME=FILE]... [--as NAME] [--role R]... [--approve STEP]... [--resume RUN] [--record FILE] [--json]",
    options: [
      [
        "--mode <real|replay|dry-run>",
        "real processes (never a shell), answers from a replay scenario, or the plan only",
      ],
      ["--scenario <file>", "with --mode replay: the cli-replay scenario that answers the cli steps"],
      [
        "--record <file>",
        "with --mode real: keep the run as a cli-replay scenario (redacted; rewritten whenever the run stops; a resumed run keeps recording)",
      ],
      [
        "--replay-engine <builtin|cli-replay>",
        "answer from the built-in replay engine (default) or a cli-replay binary on PATH",
      ],
      [
        "--allowed-commands <a,b>",
        "with --mode replay: also restrict the scenario's commands (intersected with its own list)",
      ],
      ["--var <name=value>", "set a variable declared in meta.vars (repeatable)"],
      [
        "--evidence <step.name=value>",
        "evidence for a manual step: text, or for a checklist 'all' / item numbers '1,3' / an item's text (repeatable)",
      ],
      ["--attach <step.name=file>", "a file as attachment evidence (repeatable)"],
      [
        "--evidence-from <run>",
        "with --mode replay: evidence recorded by an earlier run, for steps with replay_mode: reuse_evidence",
      ],
      ["--as <name>", "who runs the runbook and gives evidence and approvals (default: the login name)"],
      ["--role <role>", "a role the --as person holds (repeatable)"],
      ["--approve <step>", "approve a step as the --as person (repeatable)"],
      ["--resume <run_id|dir>", "continue a paused or interrupted run from its last snapshot"],
      ["--run-id <id>", "the new run's id (default: a timestamp and random suffix)"],
      ["--run-dir <dir>", "where .runbook/runs/ is (default: the current folder)"],
      [
        "--trace-key-file <file>",
        "the key of the run manifest's HMAC-SHA256 (default: $RUNBOOK_TRACE_KEY; none: a plain digest)",
      ],
      ["--no-input", "never prompt, even on a terminal: pause instead"],
      ["--json", "print the plan (dry-run) or the run's outcome as JSON on stdout"],
      ["--quiet", "print no per-step lines"],
    ],
  },
  {
    name: "exectime",
    summary: "predict how long an .rllm app (and the children it uses) will run, from its recorded runs",
    usage: "exectime <app.rllm> [--model M] [--input <json|yaml|text> | --input-file <file|->] [--json]",
    options: [
      [
        "--model <name>",
        "predict for this model (every app of a composition); default: each app's llm.model",
      ],
      [
        "--input <json|yaml|text>",
        "predict for this input: its prompt's tokens × the history's ms per 1k tokens",
      ],
      ["--input-file <file|->", "the same, from a .json, .yaml or text file, or stdin"],
      ["--json", "print the prediction tree as JSON on stdout"],
    ],
  },
  {
    name: "init",
    summary:
      "set a repository up for review: a git pre-commit hook (--hook) or a Makefile fragment (--makefile) that run rllmc review",
    usage: "init --hook [--repo DIR] [--force] | init --makefile [--out FILE] [--force]",
    details: [
      "--hook writes .git/hooks/pre-commit (executable): it runs 'rllmc review --auto --no-llm' on the",
      "staged TSGs and apps and stops the commit when a gate fails. --makefile prints the rllmc-review and",
      "rllmc-check targets (or writes them to --out). Both come from templates/ (docs/review.md).",
    ],
    options: [
      ["--hook", "write .git/hooks/pre-commit into the repository"],
      ["--makefile", "print the Makefile fragment (rllmc-review, rllmc-check targets) on stdout"],
      ["--repo <dir>", "with --hook: the repository (default: the current folder)"],
      ["--out <file>", "with --makefile: write the fragment to this file instead of stdout"],
      ["--force", "overwrite an existing hook or --out file"],
    ],
  },
  {
    name: "inspect",
    summary:
      "describe a source: an app's inputs, variables and token estimate; a TSG's sections, commands, steps and placeholders; a task's paths",
    usage: "inspect <file> [--kind K] [--json] [--ir]",
    options: [
      KIND_OPTION,
      [
        "--json",
        "print {kind, app|tsg|task, module, diagnostics} as one JSON object on stdout (the summary and the IR)",
      ],
      ["--ir", "print the IR as JSON instead of the summary"],
    ],
  },
  {
    name: "orch",
    summary:
      "a llama-orch server: its capabilities, version and replica load (orch status), or one session (orch session show|drop ID)",
    usage: "orch status [--base-url URL] [--json] | orch session show|drop <ID> [--base-url URL] [--json]",
    options: [
      ["--base-url <url>", "the llama-orch server (env LLM_BASE_URL)"],
      ["--json", "print the answer as JSON on stdout"],
    ],
  },
  {
    name: "queue",
    summary:
      "rllmc's job queues on Redis: counts and workers (status), failed jobs (failed), try them again (retry)",
    usage: "queue status|failed|retry [ID...|--all] [--redis URL] [--queue compile] [--json]",
    options: [
      ["--redis <url>", "redis://[user:password@]host:port[/db] or rediss:// (TLS) (env RLLMC_REDIS_URL)"],
      ["--queue <name>", "only this queue (default: every queue)"],
      ["--all", "retry: every failed job"],
      ["--json", "print JSON on stdout"],
    ],
  },
  {
    name: "review",
    summary:
      "review and apply the changes the compiled outputs need (drift) and given change sets, through gates, as one atomic batch",
    usage:
      "review [PATHS...] [--repo DIR] [--from-git-since REF] [--changes FILE|-] [--no-llm] [--auto] [--yes] [--auto-confidence high|medium|low] [--auto-max-delta N] [--validate-cmd CMD] [--format json|text] [--recover]",
    details: [
      "On a terminal each change is shown and asked: [a]pply [s]kip [e]dit [q]uit [A]pply all safe. Off one",
      "the events (suggestion, applied, skipped, rejected, rolled_back, summary) go to stdout as JSON lines,",
      "and nothing is written without --auto or --yes. Exit 0 applied or nothing to do, 1 a gate or the",
      "validation failed and nothing was written, 2 no writes (refused or everything skipped). See docs/review.md.",
    ],
    options: [
      ["PATHS", "only sources and outputs under these paths (default: the whole repository)"],
      ["--repo <dir>", "the repository (default: the current folder)"],
      ["--from-git-since <ref>", "only files changed since this git ref"],
      ["--changes <file|->", "a change set (JSON), or the stdout of 'rllmc task run', from a file or stdin"],
      ["--no-llm", "skip the LLM proposals (titles, descriptions, promotions of manual steps)"],
      ["--llm <mode>", "cached (default: answers kept in the cache, asked once) or live (always asked)"],
      ["--frozen", "with --llm cached: never ask the model; an answer not in the cache gives no proposal"],
      ["--cache-dir <dir>", "the answer cache (default: .rllmc/cache in the repository)"],
      ["--provider <name>", "the model's provider for the proposals (or LLM_PROVIDER)"],
      ["--model <name>", "the model (or LLM_MODEL); without a provider and a model the phase is skipped"],
      ["--base-url <url>", "the provider's server (or LLM_BASE_URL)"],
      [
        "--auto",
        "apply tier safe, and other changes with confidence >= --auto-confidence that pass every gate",
      ],
      ["--yes", "the same as --auto (with the default thresholds unless given)"],
      ["--auto-confidence <level>", "high (default), medium or low: the least confidence --auto applies"],
      ["--auto-max-delta <n>", "promotions of steps per runbook per session (default 1; 0: none)"],
      [
        "--validate-cmd <cmd>",
        "run this after the batch is in place (argv, no shell; words or a JSON array); non-zero rolls it back",
      ],
      [
        "--format <json|text>",
        "JSON lines (default off a terminal; on one, no questions and no writes without --auto) or text",
      ],
      ["--recover", "only finish or undo an interrupted batch, then exit"],
    ],
  },
  {
    name: "run",
    summary:
      "run an .rllm app: validate the input, call the model, validate and recover; print the output as JSON",
    usage:
      "run <app.rllm> (--input <json|yaml|text> | --input-file <file|->) [--provider P] [--model M] [--base-url URL] [--max-retries N] [--cassette F] [--record F] [--priority P] [--budget-tokens N] [--budget-cost X] [--budget-time D] [--prices F] [--allow-over-budget] [--plan [--json]] [--verbose] [--quiet] [--no-cache] [--ollama-auto-pull]\n" +
      "       run <app.rllm> --batch <inputs.jsonl|-> [--out F] [--resume] [--concurrency N|auto] [--max-concurrency M] [--priority P] [--budget-tokens N] [--budget-cost X] [--budget-time D] [--budget-mode cancel|drain] [--prices F] [--allow-over-budget] [--plan] [--dry-run] [--json] [provider flags] [--redis URL [--attempts N] [--backoff-ms MS] [--idle-timeout S] [--redis-timeout S]]",
    details: [
      "--batch runs the app once per input line (one JSON value a line), as many at once as the backend",
      "takes, and prints one JSON line per input line in input order (docs/batch.md). Exit 0 every line",
      "ok, 9 some line failed, 8 a budget stopped it or its bound refused it, 130 interrupted.",
    ],
    options: [
      [
        "--input <json|yaml|text>",
        "the input: JSON, else YAML, else plain text (fills a one-string-field input)",
      ],
      ["--input-file <file|->", "read the input from a .json, .yaml or text file, or stdin"],
      [
        "--provider <name>",
        "openai, anthropic, openai-compatible, ollama, local, llama-orch, null or replay (env LLM_PROVIDER)",
      ],
      ["--model <name>", "the model, overriding llm.model (env LLM_MODEL); for local, a .gguf file"],
      ["--base-url <url>", "the server's URL (env LLM_BASE_URL; OLLAMA_HOST for ollama)"],
      ["--max-retries <n>", "re-asks after an off-schema answer (default 2)"],
      ["--cassette <file>", "cassette for --provider replay (default: <app>.cassette.json beside the app)"],
      ["--record <file>", "record every answer of the real provider into this cassette"],
      ["--verbose", "describe the run on stderr: provider, each attempt, tokens, repairs, errors"],
      ["--quiet", "do not print the app's warnings, Ollama notices or pull progress"],
      ["--no-cache", "load and check the app afresh instead of from the run cache (RLLMC_CACHE_DIR)"],
      [
        "--ollama-auto-pull",
        "with ollama: pull the model if the server lacks it, progress on stderr (env RLLMC_OLLAMA_AUTO_PULL=1)",
      ],
      [
        "--priority <interactive|batch>",
        "sent with every call (llama-orch); in a batch, interactive tasks start first",
      ],
      ["--batch <file|->", "run every input line of a JSONL file; one result line each, in input order"],
      ["--out <file>", "with --batch: write the results here, journaled for --resume (default: stdout)"],
      ["--resume", "with --out: skip the lines whose result is already there (after a crash or a stop)"],
      [
        "--concurrency <n|auto>",
        "lines at once (default auto: the backend's capacity, else 4; halves on 429, grows while calls succeed)",
      ],
      ["--max-concurrency <m>", "the ceiling of auto (default: the backend's capacity, else 64)"],
      ["--budget-tokens <n>", "stop admitting lines (or a run's calls) once this many tokens are spent"],
      ["--budget-cost <x>", "the same in money, from the price table (grammar/llm/prices.json)"],
      ["--budget-time <d>", "the same in wall-clock time: 90s, 10m, 1h30m"],
      [
        "--budget-mode <cancel|drain>",
        "lines in flight when a budget is reached: cancelled (default) or finished",
      ],
      ["--prices <file>", "a price table whose entries override the built-in one"],
      ["--allow-over-budget", "start even when the worst case is over --budget-tokens/--budget-cost"],
      ["--plan", "print the worst-case tokens and cost of the run or batch and exit, calling nothing"],
      ["--dry-run", "the plan, and every line's input checked; nothing is called"],
      ["--json", "with --plan: the plan as JSON; with --batch: the summary too (on stderr)"],
      [
        "--redis <url>",
        "with --batch: run the lines on `rllmc worker`s over Redis; same results (docs/scale-out.md)",
      ],
      ["--attempts <n>", "with --redis: tries of a line's job (default 3)"],
      [
        "--backoff-ms <ms>",
        "with --redis: the wait before a job's first retry, doubled each time (default 2000)",
      ],
      ["--idle-timeout <s>", "with --redis: give up when no line finishes for this long (default 600)"],
      ["--redis-timeout <s>", "with --redis: give up when Redis is unreachable for this long (default 30)"],
    ],
  },
  {
    name: "stats",
    summary:
      "show an .rllm app's recorded runs per model: failures, schema compliance, latency, tokens, speed",
    usage: "stats <app.rllm> [--model M] [--json]",
    options: [
      ["--model <name>", "only the runs with this model"],
      ["--json", "print the figures as JSON on stdout"],
    ],
  },
  {
    name: "task",
    summary:
      "run a code-change task: print a commit message and a verified patch on stdout (task run), or list the tasks (task list)",
    usage:
      "task run <NAME|PATH> [--var NAME=VALUE]... [--repo DIR] [--context DIR] [--provider P] [--model M] [--base-url URL] [--cassette F] [--record F] [--cache-dir D] [--frozen] [--dry-run] [--audit FILE] [--verbose] [--max-retries N] [--max-tokens N] [--timeout-ms N] [--max-context-tokens N] [--max-file-bytes N] [--max-context-bytes N] | task list [--context DIR] [--json]",
    options: [
      ["<NAME|PATH>", "a task under $CONTEXT_ROOT/tasks/NAME.md, or a task file"],
      ["--var NAME=VALUE", "a placeholder's value (also TASK_VAR_NAME); every placeholder needs one"],
      ["--repo <dir>", "the repository the patch is for (env REPO_ROOT, default /workspace/repo)"],
      ["--context <dir>", "the context folder (env CONTEXT_ROOT, default /workspace/context)"],
      [
        "--provider <name>",
        "openai, anthropic, openai-compatible, ollama, local, llama-orch, null or replay (env LLM_PROVIDER; null answers LLM_NULL_ANSWER's file, else 'no change')",
      ],
      ["--model <name>", "the model (env LLM_MODEL)"],
      ["--base-url <url>", "the server's URL (env LLM_BASE_URL)"],
      [
        "--cache-dir <dir>",
        "keep answers here, keyed by the prompt (env RLLMC_CACHE_DIR; default: no cache)",
      ],
      ["--frozen", "fail instead of calling a model when the answer is not in the cache"],
      ["--dry-run", "print the prompt, the context files and the token estimate on stderr; call no model"],
      [
        "--audit <file>",
        "write the run's audit record (hashes of the task, context, prompt, answer and patch)",
      ],
      ["--verbose", "each attempt and the audit record on stderr"],
      [
        "--timeout-ms <n>",
        "how long one try of the model call may take (env LLM_TIMEOUT_MS, default 120000)",
      ],
      ["--max-context-tokens <n>", "the model's context window (env LLM_CONTEXT_TOKENS, default 128000)"],
    ],
  },
  {
    name: "validate",
    summary:
      "check an .rllm app and, with --input, that an input fits it, without calling a model; or check a runbook, a scenario, a TSG (does it compile) or a task",
    usage:
      "validate <app.rllm> [--input <json|yaml|text> | --input-file <file|->] | validate <runbook.yaml|scenario.yaml|tsg.md|task.md> [--json]",
    options: [
      ["--json", "for any file but an app: print {valid, file, …, diagnostics} as JSON on stdout"],
      ["--input <json|yaml|text>", "also validate this input against input_schema and the context window"],
      ["--input-file <file|->", "the same, from a file or stdin"],
    ],
  },
  {
    name: "runs",
    summary: "list the recorded runs: runbook, mode, status, steps done, when, whether verify passes",
    usage: "runs [--run-dir D] [--trace-key-file F] [--json]",
    options: [
      ["--json", "print the list as JSON on stdout"],
      ["--run-dir <dir>", "where .runbook/runs/ is (default: the current folder)"],
      ["--trace-key-file <file>", "the key the runs' manifests were signed with (else RUNBOOK_TRACE_KEY)"],
    ],
  },
  {
    name: "verify",
    summary:
      "verify recorded runs: hash chain, manifest, snapshots, steps, evidence, approvals, assertions, governance, scenario, files",
    usage:
      "verify <run_id|dir>... [--format text|json|junit] [--run-dir D] [--trace-key-file F] [--allow-changed]",
    options: [
      ["--format <text|json|junit>", "the report's format (default text)"],
      ["--json", "the same as --format json"],
      ["--run-dir <dir>", "where .runbook/runs/ is, for run ids (default: the current folder)"],
      [
        "--trace-key-file <file>",
        "the key the run's manifest was signed with (default: $RUNBOOK_TRACE_KEY; none: its plain digest is checked)",
      ],
      ["--allow-changed", "a runbook, scenario or policy changed since the run is a warning, not a failure"],
    ],
  },
  {
    name: "worker",
    summary:
      "take jobs from rllmc's queues on Redis and run them (the batches of compile --redis and run --batch --redis); SIGTERM drains, Ctrl-C twice stops",
    usage:
      "worker [--redis URL] [--concurrency N] [--queues compile,run] [--name NAME] [--cache-dir D] [--lock-ms MS] [--stalled-interval-ms MS] [--max-stalled N] [--inline-limit BYTES]",
    options: [
      ["--redis <url>", "redis://[user:password@]host:port[/db] or rediss:// (TLS) (env RLLMC_REDIS_URL)"],
      ["--concurrency <n>", "jobs run at once (default 2; more for jobs that wait on a model)"],
      ["--queues <list>", "the queues to take jobs from: compile, run (default: both)"],
      ["--name <name>", "the worker's name in logs and 'queue status' (default host:pid)"],
      ["--cache-dir <dir>", "recorded model answers for --llm cached (default .rllmc/cache)"],
      ["--lock-ms <ms>", "a job's lock; a dead worker's job goes to another after it (default 15000)"],
      ["--stalled-interval-ms <ms>", "how often to look for such jobs (default 5000)"],
      ["--max-stalled <n>", "a job that stalls more often fails (default 2)"],
      ["--inline-limit <bytes>", "bigger results are stored under a key of their own (default 262144)"],
    ],
  },
];

export function programHelp(program: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `${program} — compiler for .rllm apps, troubleshooting guides and code-change tasks`,
    "",
    `Usage: ${program} <command> [options]`,
    "",
    "Sources:",
    "  app.rllm  an LLM app: YAML frontmatter with typed input/output schemas + a Handlebars prompt;",
    "            compiles to a typed ES module (.mjs + .d.mts), runs with run",
    "  tsg.md    a prose troubleshooting guide; compiles to a governed runbook.yaml + mapping.md,",
    "            which exec, debug and verify run and check",
    "  task.md   a code-change task (a YAML block with prompt, context, outputs, guarantees); checked",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    "  --help, -h     show help (also: <command> --help)",
    "  --version, -v  print the version",
    "  --no-color     no colour, even on a terminal (also: NO_COLOR=1; FORCE_COLOR=1 forces it)",
    "",
    "Traces and metrics (every command, before or after its name; docs/observability.md):",
    "  --otel                 send the command's traces over OTLP/HTTP (also: OTEL_EXPORTER_OTLP_ENDPOINT)",
    "  --metrics-port <port>  serve Prometheus metrics at 127.0.0.1:<port>/metrics while the command runs",
    "  --metrics-host <addr>  listen on this address instead of 127.0.0.1",
    "  --metrics-file <file>  write the metrics in the textfile-collector format when the command ends",
    "",
    "Exit codes: 0 ok, 1 errors in the input (or more warnings than --max-warnings), 2 wrong command line, 3 internal error;",
    "run and validate also: 4 input does not fit the app, 5 answer off-schema, 6 provider failed, 7 a code block",
    "failed (docs/errors.md);",
    "exec and debug: 4 the run paused for evidence or an approval (continue with --resume);",
    "task run: 4 context too large, 5 answer off-contract, 6 provider failed, 8 a change outside the outputs,",
    "9 a guarantee failed, 10 the patch did not verify, 11 no change needed (docs/task-spec.md);",
    "review: 1 a gate or validation failed (nothing written), 2 also when nothing was written (docs/review.md).",
    "",
  ].join("\n");
}

export function commandHelp(program: string, name: string): string {
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return programHelp(program);
  const width = Math.max(...command.options.map(([flag]) => flag.length));
  return [
    `Usage: ${program} ${command.usage}`,
    "",
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details === undefined ? [] : ["", ...command.details]),
    "",
    "Options:",
    ...command.options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    "",
  ].join("\n");
}
