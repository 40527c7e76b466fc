/**
 * A rendered page holds what its viewer may read: the browser keeps no copy of it (`no-store`), as the API's answers and
 * attachments, so after signing out (or losing the project) Back or a shared machine's cache shows nothing of it.
 */
export default defineNitroPlugin((nitroApp) => {
  nitroApp.hooks.hook('render:response', (response) => {
    response.headers = { ...response.headers, 'cache-control': 'no-store' }
  })
})
