import uWS from '@trufflesuite/uws-js-unofficial'

const json = (res, value) =>
  res.cork(() => res.writeHeader('content-type', 'application/json').end(JSON.stringify(value)))

uWS
  .App()
  .get('/', (res) => res.cork(() => res.writeHeader('content-type', 'text/plain; charset=utf-8').end('Hello, World!')))
  .get('/json', (res) => json(res, { message: 'Hello, World!' }))
  .get('/users/:id', (res, req) => json(res, { id: req.getParameter(0), fields: String(req.getQuery('fields')).split(',') }))
  .post('/echo', (res) => {
    const chunks = []
    res.onAborted(() => {})
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk.slice(0)))
      if (last) {
        const body = JSON.parse(Buffer.concat(chunks).toString())
        json(res, { count: Object.keys(body).length, name: body.name })
      }
    })
  })
  .listen('127.0.0.1', Number(process.env.PORT), (token) => {
    if (!token) throw new Error('uWS could not listen')
    console.log('ready')
  })
