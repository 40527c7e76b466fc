/** What "already failing" means on the run page (the server's alreadyFailing rule, also the receipt's and the CLI's). */
export const KNOWN_RULE = 'Already failing: the test\'s last result on the default branch before this run failed, or it was '
  + 'labelled flaky there. Otherwise a failure is new: on a feature branch, what the branch broke.'

/** What the quarantined badge of a failure means (the run page's failure groups and results). */
export const QUARANTINED_RULE = 'A quarantine applies to this test: its failure still counts and shows, but does not block (upload --fail-on-blocking).'
