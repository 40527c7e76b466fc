/** Rules for failures of the machine or the setup rather than the code: crashes, missing variables, files, modules. */
import { anyOf, first, goRuntimeErrorInCode, networkFacts } from '../extract'
import type { MessageRule } from '../types'

export const outOfMemory: MessageRule = {
  id: 'out-of-memory', category: 'crash',
  patterns: [{
    strength: 0.85,
    match: anyOf('i',
      /JavaScript heap out of memory|Reached heap limit|OutOfMemoryError|\bMemoryError\b|out of memory|Cannot allocate memory|\bENOMEM\b/,
      /exit code 137|OOMKilled|reaching (?:the )?memory limit/,
    ),
  }],
  describe: f => ({
    summary: `Out of memory: ${f.line}`,
    rootCause: 'The process ran out of memory. Either the code under test (or the test) holds more data than before — '
      + 'a leak, an unbounded cache, a fixture that grew — or the CI runner has less memory than the job needs.',
    fix: 'Find what grew: compare heap usage of this test between the last green run and now (node --heapsnapshot-near-heap-limit, '
      + '-XX:+HeapDumpOnOutOfMemoryError). Fix the leak or the unbounded data; '
      + 'raise the memory limit only once you know the need is legitimate.',
    look: 'Record the peak memory of the test (e.g. /usr/bin/time -v, '
      + '--max-old-space-size logs, a heap dump at the limit) and what dominates it.',
    change: 'Change one thing: halve the data the test loads, or the number '
      + 'of parallel workers, and see whether the limit is still reached.',
    plug: 'Check the runner: its memory size, other jobs sharing the machine, '
      + 'and the configured heap limit (NODE_OPTIONS, -Xmx, container limits).',
  }),
}

export const processCrash: MessageRule = {
  id: 'process-crash', category: 'crash',
  patterns: [
    {
      strength: 0.75,
      match: anyOf('im',
        /Segmentation fault|\bSIG(?:SEGV|ABRT|KILL|BUS|ILL)\b|core dumped|Page crashed|Target (?:page, context or browser|crashed)/,
        /browser has (?:been )?(?:closed|disconnected)|Browser closed/,
        /worker (?:process )?(?:has )?(?:exited|crashed|terminated) unexpectedly/,
        /process (?:exited|terminated) unexpectedly|Worker terminated/,
        /^fatal error:|panic: (?!test timed out)|Abort trap/,
      ),
      // a page closed because the test timeout fired is a timeout, not a crash; a Go nil pointer in the program's own
      // code is a bug there (the exception rule), though Go names it SIGSEGV
      when: text => !/Test timeout of \d+\s?ms exceeded/i.test(text) && !goRuntimeErrorInCode(text),
      facts: text => ({ signal: text.match(/\b(SIG[A-Z]+|exitCode=\d+|exit code \d+)\b/)?.[1] }),
    },
    {
      // go test: the package failed but no test did, so the test binary itself exited non-zero (os.Exit, log.Fatal in TestMain)
      strength: 0.6,
      match: /^FAIL\t\S+\t[\d.]+s\s*$/m,
      when: text => !/^\s*--- FAIL:/m.test(text),
    },
  ],
  describe: (f) => {
    const { signal } = f.facts
    return {
      summary: `The process crashed${signal ? ` (${signal})` : ''}: ${f.line}`,
      rootCause: `A process the test depends on died${signal ? ` with ${signal}` : ''} rather than failing an assertion: a browser, a `
        + 'worker or the runtime itself. SIGKILL usually means the OOM killer or a CI time/memory limit; SIGSEGV a native crash.',
      fix: 'Find out who killed the process: the CI job\'s memory and time limits, the kernel log (dmesg: "Out of memory: Killed '
        + 'process"), the browser\'s crash log. Then fix that cause — reduce '
        + 'parallel workers, raise the limit, or update the crashing binary.',
      look: 'Read the process\'s own last output before it died (browser logs, stderr) and the exit code/signal.',
      change: 'Change one thing: run with one worker instead of many, or on a larger runner, and see whether the crash stays.',
      plug: 'Check the plug: is the browser/runtime version the one the test '
        + 'expects, and was the runner healthy (disk, memory) at that time?',
    }
  },
}

export const missingEnvVar: MessageRule = {
  id: 'missing-env-var', category: 'environment',
  patterns: [{
    strength: 0.85,
    match: anyOf('',
      /(?:environment variable|env var(?:iable)?)\s*[:"'`]?\s*[A-Z][A-Z0-9_]{2,}/,
      /\b[A-Z][A-Z0-9_]{2,}\b["'`]? (?:is not set|not set|is undefined|must be set|is required|is missing)/,
      /KeyError: ['"][A-Z][A-Z0-9_]{2,}['"]|key not found: "[A-Z][A-Z0-9_]{2,}"|required key [A-Z][A-Z0-9_]+ missing/,
      /process\.env\.[A-Z][A-Z0-9_]+ is (?:undefined|not set)/,
    ),
    facts: text => ({
      variable: first(text,
        /(?:environment variable|env var(?:iable)?)\s*[:"'`]?\s*([A-Z][A-Z0-9_]{2,})/,
        /\b([A-Z][A-Z0-9_]{2,})\b["'`]? (?:is not set|not set|is undefined|must be set|is required|is missing)/,
        /KeyError: ['"]([A-Z][A-Z0-9_]{2,})['"]/,
        /key not found: "([A-Z][A-Z0-9_]{2,})"/,
        /required key ([A-Z][A-Z0-9_]+) missing/,
        /process\.env\.([A-Z][A-Z0-9_]+)/,
      )?.[1],
    }),
  }],
  describe: (f) => {
    const { variable } = f.facts
    return {
      summary: `Environment variable ${variable ?? '(see message)'} is not set where the test runs`,
      rootCause: `The test or the code it calls reads ${variable ?? 'an environment variable'} and it is `
        + 'missing in this CI environment. Typical reasons: a secret or variable not configured '
        + 'for this branch/fork, a renamed variable, or a job that no longer loads the .env file.',
      fix: `Define ${variable ?? 'the variable'} in the CI job (or its secret store) for every branch that runs these `
        + 'tests, or give the code a safe default for tests and fail with a clear message when it is required.',
      look: `Print whether ${variable ?? 'the variable'} is set in the failing job (print its presence, never its value).`,
      change: `Change one thing: set ${variable ?? 'the variable'} alone and re-run; nothing else.`,
      plug: 'Check the plug: is the job using the environment/secret group you '
        + 'think, and do forked or feature branches get the secrets at all?',
    }
  },
  why: x => `${x.variable ?? 'A variable'} is read but not set.`,
}

export const moduleNotFound: MessageRule = {
  id: 'module-not-found', category: 'environment',
  patterns: [{
    strength: 0.85,
    match: anyOf('',
      /Cannot find (?:module|package) ['"]|Module not found|ModuleNotFoundError|No module named|ImportError: cannot import name/,
      /ERR_MODULE_NOT_FOUND|ClassNotFoundException|NoClassDefFoundError|cannot find package "|LoadError: cannot load such file/,
      /Could not load file or assembly/,
    ),
    facts: text => ({
      module: first(text,
        /Cannot find (?:module|package) ['"]([^'"]+)['"]/,
        /Can't resolve ['"]([^'"]+)['"]/,
        /No module named ['"]?([\w.]+)['"]?/,
        /cannot import name ['"]([^'"]+)['"]/,
        /(?:ClassNotFoundException|NoClassDefFoundError):\s*([\w.$/]+)/,
        /cannot find package "([^"]+)"/,
        /cannot load such file -- (\S+)/,
        /Could not load file or assembly '([^',]+)/,
      )?.[1],
    }),
  }],
  describe: (f) => {
    const { module } = f.facts
    return {
      summary: `Module ${module ?? '(see message)'} cannot be found`,
      rootCause: `The runtime cannot load ${module ?? 'a module'}: it is not installed in the CI environment, its `
        + 'path or name changed (case matters on Linux), or the build step that produces it did not run.',
      fix: `Make sure ${module ?? 'the module'} is declared as a dependency and installed `
        + 'in CI (lock file committed, install step before tests), or fix the import path.',
      look: `List what is installed in the job (npm ls ${module ?? ''} / pip show / mvn dependency:tree / ./gradlew dependencies) and compare with a green run.`,
      change: 'Change one thing: reinstall dependencies from a clean cache, and nothing else.',
      plug: 'Check the plug: is the install step running, with the right lock file, and on the same runtime version as locally?',
    }
  },
  why: x => `${x.module ?? 'A module'} cannot be loaded.`,
}

export const diskFull: MessageRule = {
  id: 'disk-full', category: 'environment',
  patterns: [{
    strength: 0.85,
    match: /No space left on device|\bENOSPC\b|Disk quota exceeded/i,
    facts: text => ({ path: text.match(/No space left on device:?\s*['"]?([^'"\n]+)/i)?.[1] }),
  }],
  describe: f => ({
    summary: `The runner's disk is full${f.facts.path ? ` (writing ${f.facts.path})` : ''}`,
    rootCause: 'A write failed because the device has no space left. The test is not at fault: the CI runner '
      + '(or its temp directory) filled up — large artifacts, caches, containers or test output.',
    fix: 'Free disk on the runner (clean workspaces, prune docker images, cap '
      + 'artifact sizes) or move temp files to a larger volume; then re-run.',
    look: 'Run `df -h` and `du -sh` on the temp and workspace directories in the failing job.',
    change: 'Change one thing: clean the runner and re-run the same commit.',
    plug: 'Check the plug: which runner/host it was and whether other jobs on it fail the same way.',
  }),
}

export const permissionDenied: MessageRule = {
  id: 'permission-denied', category: 'environment',
  patterns: [{
    strength: 0.8,
    match: /\bEACCES\b|\bEPERM\b|Permission denied|PermissionError|AccessDeniedException|Operation not permitted/i,
    facts: text => ({
      path: first(text,
        /(?:EACCES|EPERM)[^,\n]*,\s*\w+\s+['"]([^'"]+)['"]/, /Permission denied:?\s*['"]([^'"]+)['"]/, /AccessDeniedException:\s*(\S+)/,
        /Permission denied[^\n]*?(\/[\w./-]+)/,
      )?.[1],
    }),
  }],
  describe: (f) => {
    const { path } = f.facts
    return {
      summary: `Permission denied${path ? ` on ${path}` : ''}`,
      rootCause: `The process may not ${path ? `access ${path}` : 'do what it tried'}: the CI user differs from local, a file lost its `
        + 'executable bit, a directory belongs to root (e.g. created by a container), or a port below 1024 needs privileges.',
      fix: `Give the CI user the needed access${path ? ` to ${path}` : ''} (ownership, `
        + 'chmod +x, a writable temp dir), or change the test to use a location it owns.',
      look: `Print the user, groups and \`ls -la\`${path ? ` of ${path}` : ''} in the failing job.`,
      change: 'Change one thing: run the step as the same user as a green run, or fix only the one permission.',
      plug: 'Check the plug: container user, volume mounts and umask in the CI image.',
    }
  },
}

export const missingFile: MessageRule = {
  id: 'missing-file', category: 'environment',
  patterns: [{
    strength: 0.7,
    match: anyOf('i',
      /Executable doesn't exist|command not found|ENOENT: no such file or directory|FileNotFoundError|FileNotFoundException/,
      /DirectoryNotFoundException|Could not find (?:a part of )?the path|Could not find file|No such file or directory/,
      /not recognized as an internal or external command/,
    ),
    facts: text => ({
      path: first(text,
        /Executable doesn't exist at (\S+)/, /Could not find (?:a part of )?the path ["']([^"']+)["']/,
        /Could not find file ["']([^"']+)["']/,
        /ENOENT: no such file or directory,\s*\w+\s+['"]([^'"]+)['"]/, /No such file or directory:?\s*['"]([^'"]+)['"]/,
        /FileNotFound(?:Error|Exception):?[^'"\n]*['"]?([^'"\n]+)/, /(\S+): command not found/,
      )?.[1],
    }),
  }],
  describe: (f) => {
    const { path } = f.facts
    return {
      summary: `A file or executable is missing${path ? `: ${path}` : ''}`,
      rootCause: `${path ?? 'A file the test needs'} does not exist where it is expected: a build or install step (e.g. \`npx `
        + `playwright install\`) did not run, a path changed, or the working directory is not the one the test assumes.`,
      fix: `Create or install ${path ?? 'the file'} in a CI step before the tests, or fix the path the test uses.`,
      look: `List the directory the test expects (${path ? `ls -la ${path.replace(/\/[^/]*$/, '')}` : 'ls -la'}) `
        + 'and print the working directory in the failing job.',
      change: 'Change one thing: add the missing install/build step alone.',
      plug: 'Check the plug: cache restore steps, the CI image version and the working directory.',
    }
  },
}

/** Playwright Test loaded twice or a test file imported by the config: the setup is wrong, not a test. */
export const testSetup: MessageRule = {
  id: 'test-setup', category: 'environment',
  patterns: [{
    strength: 0.8,
    match: anyOf('',
      /did not expect test(?:\.\w+)?\(\) to be called here|Test suite failed to run/,
      /two different versions of @playwright\/test|No tests found/,
      /Cannot use import statement outside a module|SyntaxError: Unexpected token 'export'/,
      /ReferenceError: (?:describe|it|test|expect) is not defined|No code coverage driver (?:is )?available/,
      // pytest "fixture 'db_session' not found", a fixture file the setup cannot find
      /\b[Ff]ixture\b[^\n]{0,80}?\bnot found\b/,
    ),
  }],
  describe: f => ({
    summary: `The test runner is set up wrongly: ${f.line}`,
    rootCause: 'The runner failed before the test logic ran: its configuration, module format or installation is wrong (for '
      + 'Playwright: two versions of @playwright/test installed, or a test file imported by the config; for '
      + 'Jest/Vitest: ESM/CommonJS mismatch or missing test globals). Every test loaded this way fails the same way.',
    fix: 'Fix the setup the message names: deduplicate the test runner package (npm ls @playwright/test), keep '
      + 'test files out of the config\'s imports, align the module format and transform settings; then re-run.',
    look: 'Run the runner\'s listing mode (npx playwright test --list, npx vitest '
      + 'list, jest --listTests) on the failing commit and read its first error.',
    change: 'Change one thing: the one setup line the message points at (dependency version, config import, module type).',
    plug: 'Check the plug: the lock file and installed versions in CI match local '
      + '(npm ci from the committed lock), and the config file is the one CI uses.',
  }),
}

/** An HTTP error answered by the service, or no answer at all. */
function networkCause(x: Record<string, string>, target: string, what: string): string {
  if (x.status && !x.code) {
    const kind = /^5/.test(x.status) ? 'a server error' : 'a client error: bad credentials, URL or payload'
    return `${target} answered HTTP ${x.status}. The test depends on a live service that failed or refused the request (${kind}).`
  }
  const local = x.host && /^(?:localhost|127\.|\[?::1)/.test(x.host)
    ? ' It is on localhost, so it is a service the CI job itself must start.'
    : ''
  return `The test could not talk to ${target} (${what}). The service was not running, not ready yet, listening elsewhere, or the network `
    + `between them dropped the connection.${local}`
}

export const network: MessageRule = {
  id: 'network', category: 'network',
  patterns: [{
    // an assertion that merely mentions a status code is an assertion; these are the transport's own words
    strength: 0.8,
    match: anyOf('i',
      /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN|NOTFOUND)\b|\bconnect ENOENT\b/,
      /\b(?:connection|connect|gateway|socket|read) (?:timeout|time-out|timed out)\b/,
      /(?:socket\.timeout|TimeoutError): timed out\s*(?:\n|$)/,
      /\b(?:Read|Connect)Timeout(?:Error)?\b|socket hang up|net::ERR_[A-Z_]+|Connection (?:to \S+ )?refused|connection reset|getaddrinfo/,
      /Name or service not known|Temporary failure in name resolution|fetch failed|Network ?Error|Network request failed|ConnectException/,
      /UnknownHostException|SocketTimeoutException|Max retries exceeded|dial tcp|no such host|certificate has expired/,
      /self[- ]signed certificate|TLS handshake|Network Timeout|Request failed with status code [45]\d\d/,
      /\b(?:502|503|504) (?:Bad Gateway|Service Unavailable|Gateway Time-?out)/,
    ),
    facts: networkFacts,
  }],
  describe: (f) => {
    const x = f.facts
    const target = x.host ? `${x.host}${x.port ? `:${x.port}` : ''}${x.service ? ` (${x.service})` : ''}` : 'a service'
    const what = x.code ?? (x.status ? `HTTP ${x.status}` : 'a network error')
    return {
      summary: `${what} talking to ${target}`,
      rootCause: networkCause(x, target, what),
      fix: `Make the dependency reliable in CI: start ${target} before the tests and wait until it is ready (a health `
        + 'check, not a sleep), point the tests at the right host/port, and retry only idempotent calls with backoff.',
      look: `Check what was listening on ${target} at that moment (service container logs, \`nc -z `
        + `${x.host ?? 'host'} ${x.port ?? 'port'}\`) and the exact error code per occurrence.`,
      change: 'Change one thing: add a readiness wait for the service, or run the test against a known-good instance, not both.',
      plug: `Check the plug: is ${target} started in this job at all, with the right port mapping and credentials?`,
    }
  },
  why: x => `The connection error${x.host ? ` to ${x.host}${x.port ? `:${x.port}` : ''}` : ''}${x.status ? ` (HTTP ${x.status})` : ''}.`,
}
