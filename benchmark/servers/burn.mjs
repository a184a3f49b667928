// The overload script's server: GET /work burns BURN_MS of CPU on the JS
// thread, as a handler doing real work would, and GET / answers at once;
// stats go to stdout each second. Idle connections are kept for a minute, so
// that the script can hold 10,000 of them.
import { App, get } from '@armature/core'

const burn = Number(process.env.BURN_MS ?? 1)
const app = App.new({ limits: { keepAliveTimeout: '60s' } }).route('/', get(() => 'ok')).route('/work', get(() => {
  const until = performance.now() + burn
  while (performance.now() < until);
  return 'done'
}))
const server = await app.run({ host: '127.0.0.1', port: Number(process.env.PORT) })
console.log('ready')
setInterval(() => console.log(JSON.stringify(server.stats())), 1000)
