/**
 * Diagnoses of failure clusters: the evidence bundle (./evidence.ts), versioned computation by the rule engine or
 * the configured LLM (./versions.ts), the in-process queue that runs it (./queue.ts), and the reads, feedback
 * and usage the API and MCP tools serve (./reads.ts).
 */
export { buildClusterContext } from './evidence'
export { diagnoseClusters, diagnoseStaleClusters } from './queue'
export { addDiagnosisFeedback, getClusterDiagnosis, getDiagnosisUsage, rediagnoseCluster } from './reads'
