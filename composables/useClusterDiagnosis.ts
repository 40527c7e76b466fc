import type { ClusterContext, ClusterDiagnosis } from '#shared/types/diagnosis'

/**
 * A cluster's diagnosis with the actions the cluster page needs: recompute (members and admins), feedback, and the
 * context bundle loaded on demand.
 */
export function useClusterDiagnosis(clusterId: MaybeRefOrGetter<string>) {
  const id = computed(() => toValue(clusterId))
  const fetched = useFetch(() => `/api/clusters/${id.value}/diagnosis`, { key: `cluster-diagnosis-${id.value}` })
  const recomputing = ref(false)
  const context = ref<ClusterContext | null>(null)
  // forwards the session cookie when called during server rendering
  const request = useRequestFetch()

  async function recompute() {
    recomputing.value = true
    try {
      fetched.data.value = await request<ClusterDiagnosis>(`/api/clusters/${id.value}/diagnosis`, { method: 'POST' })
    }
    finally {
      recomputing.value = false
    }
  }
  async function sendFeedback(body: { helpful: boolean, note?: string }) {
    const latest = fetched.data.value?.latest
    if (!latest) return
    latest.feedback = await request(`/api/diagnoses/${latest.id}/feedback`, { method: 'POST', body })
  }
  async function loadContext() {
    context.value = await request<ClusterContext>(`/api/clusters/${id.value}/context`)
  }
  return { ...fetched, recomputing, recompute, sendFeedback, context, loadContext }
}
