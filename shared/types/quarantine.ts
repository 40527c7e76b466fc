/** A test case's quarantine while it applies (set and not expired). */
export interface QuarantineView {
  reason: string
  /** Who quarantined it; null when that account was deleted. */
  by: { userId: string, name: string } | null
  at: string
  /** When it stops applying on its own; null: until released. */
  expiresAt: string | null
  /** Passes in a row since it was quarantined, counted up to QUARANTINE_RELEASE_PASSES. */
  passesInARow: number
  /** It passed QUARANTINE_RELEASE_PASSES runs in a row while quarantined: the flaky page proposes releasing it. */
  releaseProposed: boolean
}

/** One line of a project's quarantine list (the CLI's `proofdeck quarantine`). */
export interface QuarantinedTest {
  testCaseId: string
  title: string
  /** The configuration it is quarantined in (a browser, a platform): another variant of the title is another test. */
  variant: string | null
  suitePath: string[]
  file: string | null
  reason: string
  by: string | null
  at: string
  expiresAt: string | null
  passesInARow: number
  releaseProposed: boolean
}

export interface QuarantineList {
  project: string
  items: QuarantinedTest[]
}
