import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.text('Hello, World!'))
app.get('/json', (c) => c.json({ message: 'Hello, World!' }))
app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), fields: String(c.req.query('fields')).split(',') }))
app.post('/echo', async (c) => {
  const body = await c.req.json()
  return c.json({ count: Object.keys(body).length, name: body.name })
})
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, () => console.log('ready'))
