import http from 'node:http'
import { Hub } from './sse-hub.mjs'

const hub = new Hub()
http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
    const closed = new AbortController()
    res.on('close', () => closed.abort())
    hub.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`), closed.signal)
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
