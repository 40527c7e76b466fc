import { describe, expect, it } from 'vitest'
import { stepDone, timeSteps } from '../../../server/utils/steps'

const tick = () => new Promise(resolve => setTimeout(resolve, 1))
const names = (timing: string) => timing.split(', ').map(s => s.split(';')[0])

describe('timeSteps', () => {
  it('names each step in the order first marked, adds up a step marked again, and reads as Server-Timing', async () => {
    const { value, timing } = await timeSteps(async () => {
      await tick()
      stepDone('parse')
      for (const _ of [1, 2]) {
        await tick()
        stepDone('slice')
        await tick()
        stepDone('write')
      }
      stepDone('commit')
      return 42
    })
    expect(value).toBe(42)
    expect(names(timing)).toEqual(['parse', 'slice', 'write', 'commit'])
    for (const part of timing.split(', ')) expect(part).toMatch(/^[a-z]+;dur=\d+\.\d$/)
  })

  it('keeps the clocks of concurrent requests apart, and a mark outside any is ignored', async () => {
    stepDone('outside')
    const one = timeSteps(async () => {
      await tick()
      stepDone('a')
      await tick()
      stepDone('b')
    })
    const two = timeSteps(async () => {
      stepDone('x')
      await tick()
      stepDone('y')
    })
    expect(names((await one).timing)).toEqual(['a', 'b'])
    expect(names((await two).timing)).toEqual(['x', 'y'])
  })

  it('gives no header value when nothing was marked', async () => {
    expect((await timeSteps(async () => 'done')).timing).toBe('')
  })
})
