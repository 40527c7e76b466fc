/**
 * Diagnoses of failure clusters: the evidence bundle (./evidence.ts), versioned computation by the rule engine or
 * the configured LLM (./versions.ts), the job that runs it on the queue, one per cluster at a time (./queue.ts), and the reads, feedback
 * and usage the API and MCP tools serve (./reads.ts).
 */
export { buildClusterContext } from './evidence'
export { diagnoseClusters, diagnoseStaleClusters, registerDiagnosisJob } from './queue'
export { addDiagnosisFeedback, getClusterDiagnosis, getDiagnosisUsage, rediagnoseCluster } from './reads'
