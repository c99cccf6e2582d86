/**
 * The provider as the batch sees it: the run's provider, wrapped so that every call carries the
 * session's priority, its 429s reach the scheduler's AIMD, its successes grow the limit, and its
 * usage is counted against the budget. Transport retries stay where they are (runtime/app/call.ts,
 * above this wrapper), so each try is observed: a 429 that is retried still halves the limit.
 */
import type { Completion, CompletionRequest, Provider } from "../../runtime/app/provider.js";
import { ProviderFailure } from "../../runtime/app/provider.js";
import type { Budget } from "./budget.js";
import type { Priority, Scheduler } from "./scheduler.js";

export interface ObservedProvider extends Provider {
  /** Calls sent and not yet answered. */
  readonly inFlight: number;
  /** Calls answered 429 (each try). */
  readonly rateLimited: number;
}

export function observeProvider(
  inner: Provider,
  options: { readonly scheduler?: Scheduler; readonly budget?: Budget; readonly priority?: Priority },
): ObservedProvider {
  let inFlight = 0;
  let rateLimited = 0;
  const { scheduler, budget, priority } = options;
  const observed: ObservedProvider = {
    name: inner.name,
    get inFlight() {
      return inFlight;
    },
    get rateLimited() {
      return rateLimited;
    },
    async complete(request: CompletionRequest): Promise<Completion> {
      const ticket = scheduler?.callSent() ?? 0;
      inFlight += 1;
      try {
        const completion = await inner.complete(priority === undefined ? request : { ...request, priority });
        scheduler?.succeeded();
        budget?.record(request, completion);
        return completion;
      } catch (error) {
        if (error instanceof ProviderFailure && error.kind === "rate-limit") {
          rateLimited += 1;
          scheduler?.rateLimited(ticket);
        }
        throw error;
      } finally {
        inFlight -= 1;
      }
    },
  };
  // Optional methods are forwarded only when the provider has them.
  const close = inner.close?.bind(inner);
  const capacity = inner.capacity?.bind(inner);
  return Object.assign(observed, {
    ...(close === undefined ? {} : { close }),
    ...(capacity === undefined ? {} : { capacity }),
  });
}
