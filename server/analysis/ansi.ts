// eslint-disable-next-line no-control-regex -- ANSI escape sequences are exactly what this removes
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g

/** Text without the terminal colour codes some reporters write (Playwright, Jest). */
export const withoutAnsi = (s: string) => s.includes('\u001B[') ? s.replace(ANSI, '') : s

/** Text without ANSI colour codes and with \n line ends (Windows runners write \r\n). */
export const stripAnsi = (s: string) => withoutAnsi(s).replace(/\r\n?/g, '\n')
