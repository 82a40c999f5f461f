// jejak's service worker (docs/dashboard.md, "The offline register"): when the server does not
// answer, it opens the pages the offline script kept on this device ("Tugas saya" and the
// registers it lists), and says there is no connection for any other page. It writes nothing
// and sends nothing: the page's script owns the queue.
'use strict';

const KEPT = 'jejak-daftar-hadir';
const SCRIPT = 'jejak-skrip';

const NO_CONNECTION = `<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>jejak</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1.5rem;max-width:40rem}</style></head>
<body><h1>Tidak ada sambungan</h1><p>Halaman ini tidak tersimpan di ponsel. Daftar hadir yang
tersimpan ada di <a href="/tugas">Tugas saya</a>.</p><h2 lang="en">No connection</h2>
<p lang="en">This page is not kept on the phone. The registers kept on it are under
<a href="/tugas">Tugas saya</a>.</p></body></html>`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SCRIPT).then((cache) => cache.add('/offline.js')).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === '/offline.js') {
    event.respondWith(script(request));
  } else if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => kept(url)));
  }
});

// The script from the server, kept for the next time there is none.
async function script(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      await caches.open(SCRIPT).then((cache) => cache.put('/offline.js', copy));
    }
    return response;
  } catch (error) {
    const copy = await caches.match('/offline.js');
    if (copy) return copy;
    throw error;
  }
}

// A page kept on the device, or a page that says there is no connection.
async function kept(url) {
  const cache = await caches.open(KEPT);
  const page = await cache.match(url.pathname);
  if (page) return page;
  return new Response(NO_CONNECTION, {
    status: 503,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  });
}
