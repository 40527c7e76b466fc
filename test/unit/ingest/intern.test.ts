import { deserialize, serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { resultInterner } from '../../../server/ingest/intern'
import { parseJunit } from '../../../server/ingest/junit'

const xml = `<testsuite name="S"><properties><property name="k" value="v"/></properties>
  <testcase classname="C" name="a" file="f.ts"><failure message="m">stack</failure><system-out>out</system-out></testcase>
  <testcase classname="C" name="b" file="f.ts"/>
</testsuite>`

describe('results taken from the parse worker', () => {
  // what the main thread gets: a structured clone of a batch, with nothing shared between batches
  const cloned = parseJunit(xml).results.map(r => deserialize(serialize([r]))[0])
  const share = resultInterner()
  const [a, b] = cloned.map(share)

  it('are equal to what was parsed', () => {
    expect([a, b]).toEqual(parseJunit(xml).results)
  })

  it('share suite paths, properties and empty lists between results', () => {
    expect(a!.suitePath).toBe(b!.suitePath)
    expect(a!.properties).toBe(b!.properties)
    expect(a!.steps).toBe(b!.tags)
  })
})
