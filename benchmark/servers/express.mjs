import express from 'express'

const app = express()
app.get('/', (_req, res) => res.type('text/plain').send('Hello, World!'))
app.get('/json', (_req, res) => res.json({ message: 'Hello, World!' }))
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, fields: String(req.query.fields).split(',') }))
app.post('/echo', express.json(), (req, res) => res.json({ count: Object.keys(req.body).length, name: req.body.name }))
app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
