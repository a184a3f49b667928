import { describe, expect, it } from 'vitest'
import { armatureMatchers, testClient } from '@armature/core/testing'
import { app } from '../src/app.js'

expect.extend(armatureMatchers)
const client = testClient(app)

describe('{{name}} users API', () => {
  it('creates, reads, lists and deletes a user', async () => {
    const created = await client.post('/api/v1/users', { json: { name: 'Ada', email: 'ada@example.com' } })
    expect(created).toHaveStatus(201)
    expect(created).toHaveHeader('server-timing', /^app;dur=/)
    const { id } = created.json<{ id: string }>()
    expect(created).toHaveHeader('location', `/api/v1/users/${id}`)

    expect(await client.get(`/api/v1/users/${id}`)).toHaveJsonBody({ id, name: 'Ada', email: 'ada@example.com' })
    expect((await client.get('/api/v1/users')).json()).toContainEqual({ id, name: 'Ada', email: 'ada@example.com' })
    expect(await client.delete(`/api/v1/users/${id}`)).toHaveStatus(204)
    expect(await client.get(`/api/v1/users/${id}`)).toMatchProblem({ status: 404, detail: `no user ${id}` })
  })

  it('refuses an invalid user with a 422 problem', async () => {
    const res = await client.post('/api/v1/users', { json: { name: 'Ada', email: 'nope' } })
    expect(res).toMatchProblem({ status: 422, detail: "'email' must be an email address" })
  })

  it('refuses a body that is not JSON with a 400 problem', async () => {
    const res = await client.post('/api/v1/users', { body: '{oops', headers: { 'content-type': 'application/json' } })
    expect(res).toMatchProblem({ status: 400 })
  })
})
