import { describe, expect, it } from 'vitest'
import { armatureMatchers, testClient } from '@armature/core/testing'
import { app } from '../src/app.js'

expect.extend(armatureMatchers)
const client = testClient(app)

describe('{{name}}', () => {
  it('says hello', async () => {
    const res = await client.get('/')
    expect(res).toHaveStatus(200)
    expect(res.text()).toBe('Hello from {{name}}!')
  })

  it('greets by name', async () => {
    const res = await client.get('/hello/ada')
    expect(res).toHaveJsonBody({ greeting: 'Hello, ada!' })
  })

  it('reports its health', async () => {
    expect(await client.get('/health')).toHaveJsonBody({ status: 'ok' })
  })

  it('answers unknown paths with a 404 problem', async () => {
    expect(await client.get('/nope')).toMatchProblem({ status: 404, title: 'Not Found' })
  })
})
