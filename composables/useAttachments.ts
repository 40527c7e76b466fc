import type { AttachmentView, ResultEvidence } from '#shared/types/attachments'

/** The files a run's results came with (the run page shows them on its failure rows). Loaded after the page. */
export function useRunAttachments(runId: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(runId))
  return useFetch<AttachmentView[]>(() => `/api/runs/${id.value}/attachments`, { key: () => `run-attachments-${id.value}`, lazy: true, server: false })
}

/** One result's full error, output and files, fetched when it is shown. */
export function useResultEvidence(resultId: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(resultId))
  return useFetch<ResultEvidence>(() => `/api/results/${id.value}/evidence`, { key: () => `result-evidence-${id.value}`, lazy: true, server: false })
}
