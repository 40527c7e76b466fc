import type { ClusterContext, ClusterDiagnosis } from '#shared/types/diagnosis'

const PENDING_POLL_MS = 4000
const PENDING_POLLS = 30

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

  // A new cluster's first diagnosis lands shortly after its upload: look again a few times while there is none.
  let polls = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  watch(() => fetched.data.value, (d) => {
    clearTimeout(timer)
    if (import.meta.server || !d || d.latest || polls >= PENDING_POLLS) return
    timer = setTimeout(() => {
      polls++
      fetched.refresh()
    }, PENDING_POLL_MS)
  }, { immediate: true })
  watch(id, () => (polls = 0))
  onScopeDispose(() => clearTimeout(timer))

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
    const feedback = await request<typeof latest.feedback>(`/api/diagnoses/${latest.id}/feedback`, { method: 'POST', body })
    // useFetch's data is a shallow ref (Nuxt 4): a new object, or the buttons kept their old counts until a reload
    if (fetched.data.value?.latest?.id === latest.id) fetched.data.value = { ...fetched.data.value, latest: { ...latest, feedback } }
  }
  async function loadContext() {
    context.value = await request<ClusterContext>(`/api/clusters/${id.value}/context`)
  }
  return { ...fetched, recomputing, recompute, sendFeedback, context, loadContext }
}
