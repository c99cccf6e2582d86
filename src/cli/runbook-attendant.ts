/**
 * Asking the person at a terminal: the evidence a manual step still needs, and approvals. Used by
 * `runbook exec` on a TTY (unless --no-input); the answers go through the engine like
 * `--evidence` and `--approve`. Line prompts with `node:readline/promises`: the answers are one
 * line each, so no prompt library is needed.
 */
import { createInterface, type Interface } from "node:readline/promises";
import type { Evidence, ManualStep } from "../lang/runbook/types.js";
import type { Attendant, EvidenceInput, LeafStep } from "../runtime/runbook/engine.js";
import type { ApprovalRecord } from "../runtime/runbook/state.js";

export class TerminalAttendant implements Attendant {
  private rl: Interface | undefined;
  private lineIterator: AsyncIterator<string> | undefined;
  private shown = new Set<string>();

  constructor(
    private readonly actor: () => string,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stderr,
  ) {}

  /**
   * Asks and reads one answer line. Lines are read through the interface's async iterator, which
   * buffers them: answers typed (or pasted) ahead of their question are not lost. End of input
   * reads as an empty answer, which means "later".
   */
  private async ask(prompt: string): Promise<string> {
    if (this.lineIterator === undefined) {
      this.rl = createInterface({ input: this.input, terminal: false });
      this.lineIterator = this.rl[Symbol.asyncIterator]();
    }
    this.output.write(prompt);
    const next = await this.lineIterator.next();
    return next.done === true ? "" : next.value;
  }

  private say(text: string): void {
    this.output.write(text);
  }

  private intro(step: LeafStep): void {
    if (this.shown.has(step.id)) return;
    this.shown.add(step.id);
    this.say(`\n── ${step.id}: ${step.title ?? step.id}\n`);
    if (step.type === "manual") {
      this.say(`${step.instructions.trim()}\n`);
      if (step.command !== undefined) this.say(`\n  command (run it yourself):  ${step.command}\n`);
    }
  }

  async evidence(step: ManualStep, item: Evidence): Promise<EvidenceInput | undefined> {
    this.intro(step);
    const about = item.description ? ` — ${item.description}` : "";
    if (item.kind === "checklist") {
      this.say(
        `\nChecklist '${item.name}'${about} (y = done, n = not done, empty = stop and answer later):\n`,
      );
      const checked: number[] = [];
      for (const [i, text] of (item.items ?? []).entries()) {
        const answer = (await this.ask(`  [${i + 1}] ${text} [y/n] `)).trim().toLowerCase();
        if (answer === "") return undefined;
        if (answer === "y" || answer === "yes") checked.push(i + 1);
      }
      return { kind: "checklist", checked };
    }
    const prompt =
      item.kind === "attachment"
        ? `\nFile to attach as '${item.name}'${about} (empty = later): `
        : `\nEvidence '${item.name}'${about} (empty = later): `;
    const answer = (await this.ask(prompt)).trim();
    if (answer === "") return undefined;
    return item.kind === "attachment" ? { kind: "attachment", path: answer } : { kind: "text", text: answer };
  }

  async approve(step: LeafStep, needed: number, have: readonly ApprovalRecord[]): Promise<boolean> {
    this.intro(step);
    const already = have.length > 0 ? ` (approved so far by ${have.map((a) => a.by).join(", ")})` : "";
    const roles = step.approvals?.roles ? `, role ${step.approvals.roles.join(" or ")}` : "";
    const answer = (
      await this.ask(
        `\nStep '${step.id}' needs ${needed} more approval(s)${roles}${already}. Approve as ${this.actor()}? [y/N] `,
      )
    )
      .trim()
      .toLowerCase();
    return answer === "y" || answer === "yes";
  }

  close(): void {
    this.rl?.close();
  }
}
