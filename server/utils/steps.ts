import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Wall-clock time per step of one request, for its `Server-Timing` header: the code marks the end of a step with
 * `stepDone(name)`, which counts the time since the previous mark (or the start) to that step; a step marked more than
 * once (once per slice of an upload) adds up. Outside `timeSteps` a mark does nothing.
 */
class StepClock {
  private last = performance.now()
  readonly steps = new Map<string, number>()

  done(name: string): void {
    const now = performance.now()
    this.steps.set(name, (this.steps.get(name) ?? 0) + now - this.last)
    this.last = now
  }

  /** The `Server-Timing` value: `name;dur=ms` per step in the order first marked. */
  header(): string {
    return [...this.steps].map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ')
  }
}

const current = new AsyncLocalStorage<StepClock>()

/** Runs `work` with a clock of its own; marks made anywhere below it (awaits included) count on that clock. */
export async function timeSteps<T>(work: () => Promise<T>): Promise<{ value: T, timing: string }> {
  const clock = new StepClock()
  const value = await current.run(clock, work)
  return { value, timing: clock.header() }
}

/** Ends the step `name` of the request being timed. */
export function stepDone(name: string): void {
  current.getStore()?.done(name)
}
