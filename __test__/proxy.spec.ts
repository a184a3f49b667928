import { describe, expect, it } from 'vitest'
import { App, get, type TrustProxy } from '@armature/core'
import { start } from './helpers.js'

/** What the app says about a request sent with `headers`. */
async function client(trustProxy: TrustProxy | undefined, headers: Record<string, string> = {}, host = '127.0.0.1') {
  const app = App.new(trustProxy === undefined ? {} : { trustProxy }).route('/', get((req) => ({ ip: req.ip, ips: req.ips, protocol: req.protocol, hostname: req.hostname })))
  const server = await start(app, host)
  const answer = await (await fetch(`${server.url}/`, { headers })).json()
  await server.close()
  return answer as { ip: string; ips: string[]; protocol: string; hostname: string }
}

const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example.com:8443' }

describe('trustProxy', () => {
  it('without it, the client is the socket peer whatever the headers claim', async () => {
    expect(await client(undefined, chain)).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http', hostname: '127.0.0.1' })
  })

  it('counts hops from the socket peer, or trusts every hop with true', async () => {
    expect(await client(1, chain)).toMatchObject({ ip: '10.0.0.1', ips: ['10.0.0.1'] })
    expect(await client(2, chain)).toMatchObject({ ip: '203.0.113.7', ips: ['203.0.113.7', '10.0.0.1'] })
    expect(await client(true, chain)).toEqual({ ip: '198.51.100.1', ips: ['198.51.100.1', '203.0.113.7', '10.0.0.1'], protocol: 'https', hostname: 'shop.example.com' })
  })

  it('trusts addresses, networks and presets, and only those', async () => {
    expect(await client(['loopback', '10.0.0.0/8'], chain)).toEqual({ ip: '203.0.113.7', ips: ['203.0.113.7', '10.0.0.1'], protocol: 'https', hostname: 'shop.example.com' })
    expect(await client('127.0.0.1, 10.0.0.1', chain)).toMatchObject({ ip: '203.0.113.7' })
    // A peer that is not a trusted proxy is the client: its headers are spoofed.
    expect(await client(['10.0.0.0/8'], chain)).toEqual({ ip: '127.0.0.1', ips: [], protocol: 'http', hostname: '127.0.0.1' })
    expect(await client({ addresses: 'uniquelocal' }, chain)).toMatchObject({ ip: '127.0.0.1' })
  })

  it('reads only the header configured: Forwarded or X-Forwarded-*', async () => {
    const both = { forwarded: 'for=192.0.2.60;proto=https;host=a.example, for=10.0.0.1', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.example' }
    expect(await client({ all: true, header: 'forwarded' }, both)).toEqual({ ip: '192.0.2.60', ips: ['192.0.2.60', '10.0.0.1'], protocol: 'https', hostname: 'a.example' })
    expect(await client({ hops: 1, header: 'forwarded' }, both)).toMatchObject({ ip: '10.0.0.1', protocol: 'http', hostname: '127.0.0.1' })
    expect(await client('loopback', both)).toMatchObject({ ip: '6.6.6.6', hostname: 'evil.example' })
    // Behind a proxy that writes only X-Forwarded-For, a Forwarded header from the client changes nothing.
    expect(await client('loopback', { forwarded: 'for=1.2.3.4' })).toMatchObject({ ip: '127.0.0.1' })
  })

  it('handles IPv6 peers and chains', async () => {
    expect(await client(undefined, chain, '::1')).toMatchObject({ ip: '::1', hostname: '[::1]' })
    expect(await client('loopback', { 'x-forwarded-for': '2001:db8::1, [2001:db8::2]:4711' }, '::1')).toMatchObject({ ip: '2001:db8::2', ips: ['2001:db8::2'] })
    expect(await client({ addresses: ['::1', '2001:db8::/32'] }, { 'x-forwarded-for': '2001:db8::1, 2001:db8::2' }, '::1')).toMatchObject({ ip: '2001:db8::1' })
  })

  it('refuses what it cannot use, naming it', () => {
    const refused = (trustProxy: unknown, message: string) =>
      expect(() => App.new({ trustProxy: trustProxy as TrustProxy })).toThrow(expect.objectContaining({ code: 'ERR_ARMATURE_INVALID_OPTION', message: expect.stringContaining(message) as unknown }))
    refused(() => '1.2.3.4', 'not a function: the engine works out the client before any JS runs')
    refused('proxy.example', "'proxy.example' is not an address, a network (10.0.0.0/8) or a preset")
    refused(1.5, 'trustProxy hops must be a whole number')
    refused({ hops: 1, header: 'x-real-ip' }, "trustProxy.header must be 'x-forwarded-for' or 'forwarded'")
    refused({ hops: 1, addresses: 'loopback' }, 'trustProxy takes one of hops (a number), addresses or all: true')
  })
})
