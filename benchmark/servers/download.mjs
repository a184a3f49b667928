// The source every server streams for the `download` scenario: 100 MiB as
// 64 KiB chunks of one shared buffer, so that what is measured is the
// server's path to the socket, not making the bytes.
import { Readable } from 'node:stream'

export const DOWNLOAD_BYTES = 100 * 1024 * 1024
const chunk = Buffer.alloc(64 * 1024, 'd')

export function download() {
  let left = DOWNLOAD_BYTES / chunk.length
  return new Readable({
    read() {
      this.push(left-- > 0 ? chunk : null)
    },
  })
}
