/**
 * The built-in rule engine, which diagnoses a failure cluster without a model. The rules live in ./diagnosis/rules
 * (one record each), the engine that runs them in ./diagnosis/engine.ts.
 */
export { categoryAccuracy } from './diagnosis/accuracy'
export { classifyError, diagnoseContext } from './diagnosis/engine'
export { RULE_IDS } from './diagnosis/rules'
export { reproCommand } from './diagnosis/steps'
export type { RuleId } from './diagnosis/types'
