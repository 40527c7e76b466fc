/**
 * How a test is named on screen. A test's stored title and suite path (its identity, hashed) are never changed here:
 * these only say them. A JVM report names a test by its method (`contextLoads()`) and its class by its binary name
 * (`com.example.api.ApplicationTests`, a JUnit 5 @Nested one `com.example.FooTest$Inner`); every Spring Boot module
 * has an `ApplicationTests.contextLoads()`, so a list says the class before the method, and the package on hover.
 */
import { goPackageOf } from './go-tests'

export interface NamedTest {
  title: string
  suitePath: readonly string[]
}

/**
 * The two patterns a test's name is read by, as sources that JavaScript and Postgres regular expressions read alike
 * (ASCII classes spelled out, no `.`): the flaky list sorts by the name in SQL (server/services/test-cases.ts).
 * `qualifiedClass`: a JVM (or .NET, or pytest) class by its qualified binary name: optional package, class, nested
 * classes after `$`. `method`: a method as JUnit 5 names it (`contextLoads()`, `adds(int, int)`), parameters and all
 * (on one line).
 */
export const NAME_PATTERNS = {
  qualifiedClass: String.raw`^((?:[A-Za-z_][A-Za-z0-9_]*\.)*)([A-Z][A-Za-z0-9_]*(?:\$[A-Za-z_][A-Za-z0-9_]*)*)$`,
  method: String.raw`^[A-Za-z_$][A-Za-z0-9_$]*\([^\n\r\u2028\u2029]*\)$`,
}
const QUALIFIED_CLASS = new RegExp(NAME_PATTERNS.qualifiedClass)
const METHOD = new RegExp(NAME_PATTERNS.method)

/**
 * The class a test's last suite names, when it names one: its package (`com.example.api`, '' in the default package)
 * and its classes outermost first (`['FooTest', 'Inner']`). A bare name (`Checkout`, a describe block as easily) is a
 * class only beside a method-like title.
 */
export function jvmClassOf(t: NamedTest): { pkg: string, classes: string[], binaryName: string } | null {
  const last = t.suitePath[t.suitePath.length - 1]
  const m = last ? QUALIFIED_CLASS.exec(last) : null
  if (!m) return null
  const [, dotted = '', name = ''] = m
  if (!dotted && !name.includes('$') && !METHOD.test(t.title)) return null
  return { pkg: dotted.replace(/\.$/, ''), classes: name.split('$'), binaryName: last! }
}

/**
 * A suite path as read: a nested class by its own name after its outer one (`com.example.FooTest$Inner` reads
 * `com.example.FooTest › Inner`), and a nested class's suite that repeats the outer one's (Surefire) once.
 */
export function suiteLabel(suitePath: readonly string[]): string {
  return suitePath.map((s, i) => {
    const outer = suitePath[i - 1]
    const own = outer && s.startsWith(`${outer}$`) ? s.slice(outer.length + 1) : s
    return QUALIFIED_CLASS.test(s) ? own.split('$').join(' › ') : own
  }).join(' › ')
}

/**
 * A test's name in a list: its title, after its class where the suite names one (`ApplicationTests › contextLoads()`,
 * `FooTest › Inner › works()`), so two modules' `contextLoads()` tell apart.
 */
export function testName(t: NamedTest): string {
  const cls = jvmClassOf(t)
  return cls ? [...cls.classes, t.title].join(' › ') : t.title
}

/**
 * `name` for an item that carries a test's title (a receipt's failed tests): its name as lists show it when that says
 * more than the title (a JVM test with its class), else nothing.
 */
export function namedApart(t: NamedTest): { name?: string } {
  const name = testName(t)
  return name === t.title ? {} : { name }
}

/** A test's whole name, suites first (the package with its class): what a list's name says on hover. */
export function testFullName(t: NamedTest): string {
  return t.suitePath.length ? `${suiteLabel(t.suitePath)} › ${t.title}` : t.title
}

/**
 * Where a test lives, for a list's second line: its file, else its class's package (JVM reports name no file), else its
 * Go package (neither Go reporter names a file): five packages' `[build failed]` read apart.
 */
export function testPlace(t: NamedTest & { file: string | null }): string | null {
  return t.file ?? (jvmClassOf(t)?.pkg || goPackageOf(t))
}
