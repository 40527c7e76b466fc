/** What "already failing" means on the run page (the server's alreadyFailing rule, also the receipt's and the CLI's). */
export const KNOWN_RULE = 'Already failing: the test\'s last result on the default branch before this run failed, or it was '
  + 'labelled flaky there. Otherwise a failure is new: on a feature branch, what the branch broke.'
