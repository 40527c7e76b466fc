/**
 * The message rules, in the order they are tried. To add a rule, write one `MessageRule` record (its patterns, what
 * it says, why its line is evidence) next to its kind and list it here; the engine needs no other change.
 */
import type { MessageRule, Pattern, RuleId } from '../types'
import { PASSES } from '../types'
import { compileError } from './build'
import { assertion, exception, timeout } from './code'
import {
  diskFull, missingEnvVar, missingFile, moduleNotFound, network, outOfMemory, permissionDenied, processCrash, testSetup,
} from './environment'
import { elementNotActionable, locatorNotFound, strictMode } from './locator'
import { panic } from './panic'

/**
 * The rules of failures of the machine or the setup rather than the code (./environment.ts), in rule order. A build
 * that failed (./build.ts) is the code's: it is tried among them but is not one of them.
 */
const SETUP: MessageRule[] = [
  outOfMemory, processCrash, missingEnvVar, moduleNotFound, diskFull, permissionDenied, missingFile, testSetup, network,
]

const RULES: MessageRule[] = [
  ...SETUP.slice(0, SETUP.indexOf(missingEnvVar)), compileError, ...SETUP.slice(SETUP.indexOf(missingEnvVar)),
  strictMode, locatorNotFound, elementNotActionable, assertion, timeout, exception, panic,
]

/** Rules whose failure is the machine's or the setup's: an outage fails its tests with one of these. */
export const SETUP_RULE_IDS = new Set<RuleId>(SETUP.map(r => r.id))

/** Every pattern of every rule in the order `classifyError` tries them: pass by pass, rule by rule. */
export const PATTERNS: { rule: MessageRule, pattern: Pattern }[] = PASSES.flatMap(pass => RULES.flatMap(rule =>
  rule.patterns.filter(p => (p.pass ?? 'specific') === pass).map(pattern => ({ rule, pattern }))))

export const RULE_BY_ID = new Map<RuleId, MessageRule>(RULES.map(r => [r.id, r]))

/** The rules this engine knows, for docs and coverage reports. */
export const RULE_IDS: RuleId[] = ['infrastructure', 'flaky', ...RULES.map(r => r.id), 'unknown']
