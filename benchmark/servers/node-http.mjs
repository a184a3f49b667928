import { createReadStream, statSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { download, DOWNLOAD_BYTES } from './download.mjs'

const json = (res, value) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}

http
  .createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('Hello, World!')
    } else if (req.method === 'GET' && url.pathname === '/json') {
      json(res, { message: 'Hello, World!' })
    } else if (req.method === 'GET' && url.pathname.startsWith('/users/')) {
      json(res, { id: url.pathname.slice(7), fields: String(url.searchParams.get('fields')).split(',') })
    } else if (req.method === 'POST' && url.pathname === '/echo') {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString())
        json(res, { count: Object.keys(body).length, name: body.name })
      })
    } else if (req.method === 'POST' && url.pathname === '/ingest') {
      let bytes = 0
      req.on('data', (chunk) => (bytes += chunk.length))
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end(String(bytes))
      })
    } else if (req.method === 'GET' && url.pathname.startsWith('/static/')) {
      // The bench's own files: no path checks, which a real server would need.
      const file = path.join(process.env.STATIC_DIR, path.basename(url.pathname))
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size })
      createReadStream(file).pipe(res)
    } else if (req.method === 'GET' && url.pathname === '/download') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': DOWNLOAD_BYTES })
      download().pipe(res)
    } else {
      res.writeHead(404).end()
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
