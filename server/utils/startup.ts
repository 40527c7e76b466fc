const tasks: Promise<unknown>[] = []

/** Registers work the server must finish before it reports healthy (e.g. creating the headless admin). */
export function registerStartupTask(task: Promise<unknown>): void {
  tasks.push(task.catch(() => {}))
}

/** Resolves once every registered startup task has settled. */
export function startupTasksDone(): Promise<unknown> {
  return Promise.all(tasks)
}
