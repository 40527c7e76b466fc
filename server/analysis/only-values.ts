/**
 * Assertions that say nothing but their values ("expected <n> to equal <n>"), read from a fingerprint's masked lines:
 * such a fingerprint keys on where the assertion failed (fingerprint.ts).
 */

/** What an assertion says when it says nothing but values: the words of matchers in every language's test tools. */
const ASSERTION_WORD = /\b(?:assert(?:ion)?(?:error|failederror)?|expect(?:ed)?|received?|actual|to(?:be|equal|strictequal|eql)?|be|is|equal(?:s|ity)?|eql|deep(?:ly)?|strict(?:ly)?|object|but|was|were|got|found|not|true|false|null|undefined|none|nil|values?|diff(?:erence)?|and|or|of|the|an?|same|as|should|ha(?:ve|s|d)|are|it|that|instead|error)\b/gi
const MASK_TOKEN = /<(?:n|ts|date|time|uuid|host|query|email|path|tmp|hex|hash|id|duration|test)>/g
const SAYS_EXPECTATION = /\b(?:expect(?:ed)?|assert|equal|actual|but was)\b/i

/** The masked lines say only that values differed: no name, no quoted text, nothing but matcher words and values. */
export function onlyValues(lines: string[]): boolean {
  const text = lines.join(' ')
  return SAYS_EXPECTATION.test(text) && !/[A-Za-z]/.test(text.replace(MASK_TOKEN, ' ').replace(ASSERTION_WORD, ' '))
}
