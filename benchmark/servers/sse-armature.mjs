import { App, get, HttpResponse } from '@armature/core'
import { Hub } from './sse-hub.mjs'

const hub = new Hub()
const app = App.new().route('/events', get((req) => HttpResponse.sse(hub.iterate(req.signal), { heartbeat: false })))
await app.run({ host: '127.0.0.1', port: Number(process.env.PORT) })
console.log('ready')
