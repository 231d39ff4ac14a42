test('node', async () => {
  const r = await fetch(`${process.env.COD_IPFS_API}/api/v0/add`, {
    method: 'POST',
    body: (() => {
      const f = new FormData()
      f.append('file', new Blob(['hello world\n']))
      return f
    })()
  })
  const j = (await r.json()) as { Hash: string }
  expect(j.Hash).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
  const g = await fetch(`${process.env.COD_IPFS_GATEWAY}/ipfs/${j.Hash}?format=car`)
  expect(g.status).toBe(200)
  expect((await g.arrayBuffer()).byteLength).toBeGreaterThan(50)
})
