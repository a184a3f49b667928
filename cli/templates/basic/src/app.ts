import { App, get, HttpResponse } from '@armature/core'

/** The app, exported so tests and `armature routes` can load it without a server. */
export const app = App.new()
  .route('/', get(() => HttpResponse.text('Hello from {{name}}!')))
  .route('/hello/:name', get((req) => ({ greeting: `Hello, ${req.param('name')}!` })))
  // Answered by the engine alone: no JS runs for it.
  .route('/health', get(HttpResponse.json({ status: 'ok' })))
