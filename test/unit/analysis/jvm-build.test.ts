import { describe, expect, it } from 'vitest'
import { jvmBuildOf, type JvmBuildSignals } from '../../../server/analysis/jvm-build'

const CLASS = 'com.example.api.ApplicationTests'
const signals = (s: Partial<JvmBuildSignals>): JvmBuildSignals => ({
  reportFiles: [], properties: null, stack: null, binaryName: CLASS, ...s,
})

describe('jvmBuildOf', () => {
  it('reads the tool, module and task from the path of the class\'s own report', () => {
    const files = [
      'api/build/test-results/test/TEST-com.example.api.ApplicationTests.xml',
      'web/build/test-results/test/TEST-com.example.web.ApplicationTests.xml',
      'billing/target/surefire-reports/TEST-com.example.billing.ApplicationTests.xml',
    ]
    expect(jvmBuildOf(signals({ reportFiles: files }))).toEqual({ tool: 'gradle', module: 'api', task: 'test' })
    expect(jvmBuildOf(signals({ reportFiles: files, binaryName: 'com.example.billing.ApplicationTests' })))
      .toEqual({ tool: 'maven', module: 'billing', task: 'test' })
    expect(jvmBuildOf(signals({ reportFiles: ['build\\test-results\\integrationTest\\TEST-com.example.api.ApplicationTests.xml'] })))
      .toEqual({ tool: 'gradle', module: '', task: 'integrationTest' })
    expect(jvmBuildOf(signals({ reportFiles: ['./core/target/failsafe-reports/TEST-com.example.api.ApplicationTests.xml'] })))
      .toEqual({ tool: 'maven', module: 'core', task: 'verify' })
  })

  it('names every module that has the class\'s report, and a Maven module that is a project of its own', () => {
    const files = ['api/build/test-results/test/TEST-com.example.api.ApplicationTests.xml', 'web/build/test-results/test/TEST-com.example.api.ApplicationTests.xml']
    expect(jvmBuildOf(signals({ reportFiles: files }))).toEqual({ tool: 'gradle', module: ['api', 'web'], task: 'test' })
    const properties = { 'maven.multiModuleProjectDirectory': '/home/runner/work/shop/billing', 'basedir': '/home/runner/work/shop/billing' }
    expect(jvmBuildOf(signals({ reportFiles: ['billing/target/surefire-reports/TEST-com.example.api.ApplicationTests.xml'], properties })))
      .toEqual({ tool: 'maven', module: 'billing', task: 'test', standalone: true })
  })

  it('else the run\'s other reports say the tool, and the module when they all sit in one', () => {
    expect(jvmBuildOf(signals({ reportFiles: ['api/build/test-results/test/TEST-a.B.xml', 'web/build/test-results/test/TEST-a.C.xml'] })))
      .toEqual({ tool: 'gradle', module: null, task: 'test' })
    expect(jvmBuildOf(signals({ reportFiles: ['target/surefire-reports/TEST-a.B.xml'] }))).toEqual({ tool: 'maven', module: '', task: 'test' })
  })

  it('else Surefire\'s properties (the module under the reactor root), else the runner in the stack', () => {
    const properties = { 'maven.multiModuleProjectDirectory': '/home/runner/work/shop', 'basedir': '/home/runner/work/shop/services/api' }
    expect(jvmBuildOf(signals({ reportFiles: ['TEST-com.example.api.ApplicationTests.xml'], properties })))
      .toEqual({ tool: 'maven', module: 'services/api', task: null })
    expect(jvmBuildOf(signals({ properties: { 'surefire.test.class.path': '/x' } }))).toEqual({ tool: 'maven', module: null, task: null })
    const stack = (runner: string) => `org.opentest4j.AssertionFailedError: expected: <1> but was: <2>\n\tat com.example.api.ApplicationTests.contextLoads(ApplicationTests.java:12)\n\tat ${runner}`
    expect(jvmBuildOf(signals({ stack: stack('worker.org.gradle.process.internal.worker.GradleWorkerMain.main(GradleWorkerMain.java:74)') })))
      .toEqual({ tool: 'gradle', module: null, task: null })
    expect(jvmBuildOf(signals({ stack: stack('org.apache.maven.surefire.booter.ForkedBooter.main(ForkedBooter.java:495)') })))
      .toEqual({ tool: 'maven', module: null, task: null })
  })

  it('says nothing when nothing says, or when the run mixes both and the class\'s report is not among them', () => {
    expect(jvmBuildOf(signals({ reportFiles: ['TEST-com.example.api.ApplicationTests.xml'], properties: { 'java.version': '21' } }))).toBeNull()
    expect(jvmBuildOf(signals({ reportFiles: ['api/build/test-results/test/TEST-a.B.xml', 'target/surefire-reports/TEST-a.C.xml'] }))).toBeNull()
  })
})
