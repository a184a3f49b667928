import { app } from './app.js'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'

// handleSignals: SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C) close
// the server gracefully, letting requests in flight finish first.
const server = await app.run({ host, port, handleSignals: true, shutdownTimeout: 10_000 })
console.log(`listening on ${server.url}`)
