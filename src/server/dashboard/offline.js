// jejak's offline register (docs/dashboard.md, "The offline register"). Loaded on the pages of
// users who take registers; written for these pages, nothing fetched from elsewhere.
//
// - On "Tugas saya", online, the registers it lists are kept on the device (the pages, with
//   their command ids; the names in them are recorded in the access log as they are fetched).
// - A register taken on the device goes into a queue in localStorage, with its command id and
//   the user who took it, before anything is sent; the queue is sent whenever the server
//   answers, under that user only. Each register's answer is shown; a refusal stays until it
//   is marked seen. Sending again is safe: the command ids make the server write once.
// - Signing out asks what to do with unsent registers and removes the kept pages.
'use strict';
(() => {
  const QUEUE = 'jejak.antrian';
  const KEPT_INDEX = 'jejak.disimpan';
  const KEPT = 'jejak-daftar-hadir';
  const CURRENT = 'jejak.pengguna'; // the user the server last said is signed in here
  const RETRY_MS = 30000;
  const ANSWER_MS = 20000; // a send with no answer by then is tried again later
  const panel = document.getElementById('offline');
  if (!panel) return;
  const user = document.body.dataset.user;
  const words = JSON.parse(panel.dataset.words);
  const keepDays = Number(panel.dataset.keepDays) || 7;
  const list = document.getElementById('offline-queue');
  const stateLine = document.getElementById('offline-state');
  const answered = []; // registers answered while this page is open: [title, outcome, message]
  let status = ''; // '', 'no_connection' or 'sign_in'
  let sending = false;

  const read = (key, empty) => {
    try {
      return JSON.parse(localStorage.getItem(key)) || empty;
    } catch (error) {
      return empty;
    }
  };
  const write = (key, value) => localStorage.setItem(key, JSON.stringify(value));
  const queue = () => read(QUEUE, []);
  const mine = (entry) => entry.user === user;
  const unsent = () => queue().filter((entry) => mine(entry));
  // A page kept for another user is not theirs to take, even offline.
  const mayTake = () => !localStorage.getItem(CURRENT) || localStorage.getItem(CURRENT) === user;

  // --- What the panel shows ---------------------------------------------------------------

  const element = (tag, text, attributes = {}) => {
    const made = document.createElement(tag);
    if (text) made.textContent = text;
    Object.entries(attributes).forEach(([name, value]) => made.setAttribute(name, value));
    return made;
  };

  const button = (text, action, name) => {
    const made = element('button', text, { type: 'button', 'data-action': name });
    made.addEventListener('click', action);
    return made;
  };

  function render() {
    const entries = queue();
    const others = entries.filter((entry) => !mine(entry));
    const kept = Object.keys(read(KEPT_INDEX, {})).filter((path) => path !== '/tugas').length;
    list.replaceChildren();
    for (const entry of entries.filter(mine)) list.append(item(entry));
    for (const [title, outcome, message] of answered) {
      const li = element('li', '', { 'data-state': outcome });
      li.append(element('span', title), ' — ', element('strong', words[outcome === 'written' ? 'written' : 'already']));
      if (message && outcome !== 'written' && outcome !== 'already_written') li.append(' ', message);
      list.append(li);
    }
    if (others.length) {
      const names = [...new Set(others.map((entry) => entry.user))].join(', ');
      list.append(element('li', `${others.length} × ${words.other_user} ${names}`, { 'data-state': 'other_user' }));
    }
    const lines = [];
    if (status) lines.push(words[status]);
    if (kept && document.querySelector('a[data-keep]')) lines.push(`${words.ready}: ${kept}`);
    stateLine.textContent = lines.join(' ');
    panel.dataset.kept = kept;
    panel.hidden = !(list.children.length || lines.length);
  }

  function item(entry) {
    const li = element('li', '', { 'data-state': entry.state, 'data-session': entry.session });
    li.append(element('span', entry.title), ' — ', element('strong', words[entry.state] || words.waiting));
    if (entry.state !== 'refused') return li;
    li.append(' ', element('span', [entry.name, entry.message].filter(Boolean).join(': '), { class: 'reason' }), ' ');
    if (entry.participation_id) li.append(button(words.drop_line, () => dropLine(entry), 'drop'), ' ');
    li.append(button(words.seen, () => forget(entry), 'seen'));
    return li;
  }

  // --- The queue ------------------------------------------------------------------------

  const sameRegister = (a, b) => a.session === b.session && a.user === b.user;

  function update(entry, changes) {
    write(QUEUE, queue().map((kept) => (sameRegister(kept, entry) ? { ...kept, ...changes } : kept)));
  }

  function forget(entry) {
    write(QUEUE, queue().filter((kept) => !sameRegister(kept, entry)));
    render();
  }

  function dropLine(entry) {
    const id = entry.participation_id;
    const fields = entry.fields.filter(([name]) => name !== `code_${id}` && name !== `late_${id}`);
    update(entry, { fields, state: 'waiting', message: '', name: '', participation_id: '' });
    send();
  }

  // Sends this user's waiting registers, one at a time, while the server answers.
  async function send() {
    if (sending) return;
    sending = true;
    try {
      await sendAll();
    } finally {
      sending = false;
      render();
    }
  }

  async function sendAll() {
    const who = await signedIn();
    if (!who) return;
    for (const entry of queue().filter((kept) => kept.user === who.user && kept.state !== 'refused')) {
      update(entry, { state: 'sending' });
      render();
      const answer = await post(entry, who);
      if (!answer) {
        update(entry, { state: 'waiting' });
        return;
      }
      if (answer.outcome === 'written' || answer.outcome === 'already_written') {
        forget(entry);
        answered.push([entry.title, answer.outcome, answer.message]);
        await unkeep(`/register/${entry.session}`);
      } else if (answer.outcome === 'refused') {
        const { message, name = '', participation_id = '' } = answer;
        update(entry, { state: 'refused', message, name, participation_id });
      } else {
        // Not written and not refused: it waits, and the others are still tried.
        update(entry, { state: 'waiting' });
        if (answer.outcome === 'sign_in') {
          status = 'sign_in';
          return;
        }
      }
    }
  }

  // Who the server says is signed in here, or nothing (no connection, or no session).
  async function signedIn() {
    try {
      const response = await timed('/offline/who', { cache: 'no-store', redirect: 'manual' });
      if (!response.ok) {
        status = 'sign_in';
        return null;
      }
      status = '';
      const who = await response.json();
      localStorage.setItem(CURRENT, who.user);
      await unkeepOthers(who.user);
      return who;
    } catch (error) {
      status = 'no_connection';
      return null;
    }
  }

  // Posts a register; the server's answer, or nothing when it did not answer.
  async function post(entry, who) {
    const body = new URLSearchParams(entry.fields);
    body.set('csrf', who.csrf);
    body.set('taken_by', entry.user);
    try {
      const response = await timed(`/register/${entry.session}/send`, { method: 'POST', body, redirect: 'manual' });
      if (response.type === 'opaqueredirect') return { outcome: 'sign_in' };
      // Not jejak's answer (a proxy's error page, say): not written, so it waits.
      return await response.json().catch(() => ({ outcome: 'try_again' }));
    } catch (error) {
      status = 'no_connection';
      return null;
    }
  }

  // A request that gives up when no answer comes in time, as on a weak signal.
  function timed(url, options) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), ANSWER_MS);
    return fetch(url, { ...options, signal: abort.signal }).finally(() => clearTimeout(timer));
  }

  // --- The register page ----------------------------------------------------------------

  function takeRegister(form) {
    const entry = {
      session: form.dataset.session,
      title: form.dataset.title,
      user,
      fields: [...new FormData(form)].filter(([name]) => name !== 'csrf'),
      taken_at: new Date().toISOString(),
      state: 'waiting',
    };
    // Taken again before its answer came: keep the first command id, so that a register the
    // server did write is never written a second time under a new one.
    const earlier = queue().find((kept) => sameRegister(kept, entry));
    const id = earlier?.fields.find(([name]) => name === 'command_id');
    if (id) entry.fields = entry.fields.map(([name, value]) => [name, name === 'command_id' ? id[1] : value]);
    const others = queue().filter((kept) => !sameRegister(kept, entry));
    write(QUEUE, [...others, entry]);
    form.hidden = true;
    form.before(element('p', words.kept, { class: 'msg', id: 'kept', role: 'status' }));
    send().then(() => {
      const done = answered.find(([title]) => title === entry.title);
      if (done) location.replace(`/register/${entry.session}?saved=1`);
    });
  }

  // A register already taken on this device opens with its marks, to change before it is sent.
  function refill(form) {
    const entry = queue().find((kept) => kept.session === form.dataset.session && mine(kept));
    if (!entry) return;
    for (const [name, value] of entry.fields) {
      const radio = form.querySelector(`input[type=radio][name="${name}"][value="${value}"]`);
      const field = radio || form.querySelector(`input[name="${name}"]:not([type=radio])`);
      if (radio) radio.checked = true;
      else if (field) field.value = value;
    }
    form.before(element('p', words.prefilled, { class: 'msg', id: 'prefilled' }));
  }

  // --- Registers kept on the device -------------------------------------------------------

  async function unkeep(path) {
    const index = read(KEPT_INDEX, {});
    delete index[path];
    write(KEPT_INDEX, index);
    if ('caches' in window) await caches.open(KEPT).then((cache) => cache.delete(path));
  }

  // Pages kept for another user leave the phone as soon as the server names who is here.
  async function unkeepOthers(current) {
    for (const [path, kept] of Object.entries(read(KEPT_INDEX, {}))) {
      if (kept.user !== current) await unkeep(path);
    }
  }

  async function unkeepAll() {
    localStorage.removeItem(KEPT_INDEX);
    if ('caches' in window) await caches.delete(KEPT);
  }

  // Keeps "Tugas saya" and each register it lists; removes what it no longer lists, what
  // another user kept, and what is older than the days a register may stay.
  async function keepRegisters(who) {
    if (!('caches' in window) || who.user !== user) return;
    const cache = await caches.open(KEPT);
    const index = read(KEPT_INDEX, {});
    const listed = [...document.querySelectorAll('a[data-keep]')].map((link) => link.getAttribute('href'));
    const old = Date.now() - keepDays * 86400000;
    for (const [path, kept] of Object.entries(index)) {
      const gone = path !== '/tugas' && !listed.includes(path);
      if (gone || kept.user !== user || kept.at < old) await unkeep(path);
    }
    if (await store(cache, '/tugas', '/tugas')) {
      write(KEPT_INDEX, { ...read(KEPT_INDEX, {}), '/tugas': { user, at: Date.now() } });
    }
    for (const path of listed) {
      if (read(KEPT_INDEX, {})[path]) continue;
      if (await store(cache, path, `${path}?offline=1`)) {
        write(KEPT_INDEX, { ...read(KEPT_INDEX, {}), [path]: { user, at: Date.now() } });
      }
    }
  }

  async function store(cache, path, url) {
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok || response.redirected) return false;
      await cache.put(path, response);
      return true;
    } catch (error) {
      return false;
    }
  }

  async function expireKept() {
    const old = Date.now() - keepDays * 86400000;
    for (const [path, kept] of Object.entries(read(KEPT_INDEX, {}))) {
      if (kept.at < old) await unkeep(path);
    }
  }

  // --- Signing out ----------------------------------------------------------------------

  function signOut(event) {
    const form = event.target;
    event.preventDefault();
    const waiting = unsent();
    if (!waiting.length) {
      unkeepAll().then(() => form.submit());
      return;
    }
    const ask = element('div', '', { id: 'offline-ask', role: 'alertdialog' });
    const leave = () => unkeepAll().then(() => form.submit());
    ask.append(
      element('p', `${words.unsent} (${waiting.length})`),
      button(words.send_now, () => send().then(() => (unsent().length ? render() : leave())), 'send'), ' ',
      button(words.keep, leave, 'keep'), ' ',
      button(words.delete, () => {
        write(QUEUE, queue().filter((entry) => !mine(entry)));
        leave();
      }, 'delete'), ' ',
      button(words.cancel, () => ask.remove(), 'cancel'),
    );
    document.getElementById('offline-ask')?.remove();
    panel.append(ask);
    panel.hidden = false;
    panel.scrollIntoView();
  }

  // --- Start ----------------------------------------------------------------------------

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js').catch(() => {});
    navigator.serviceWorker.ready.then(() => (panel.dataset.worker = 'ready'));
  }
  write(QUEUE, queue().map((entry) => (entry.state === 'sending' ? { ...entry, state: 'waiting' } : entry)));
  const form = document.querySelector('form.register[data-session]');
  if (form) {
    refill(form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (mayTake()) takeRegister(form);
    });
  }
  document.querySelector('form[action="/logout"]')?.addEventListener('submit', signOut);
  if (form && !mayTake()) {
    form.hidden = true;
    form.before(element('p', `${words.kept_for} ${user}`, { class: 'msg', id: 'not-yours' }));
  }
  window.addEventListener('online', send);
  // A phone that regains signal does not always say so: while registers wait, try again.
  setInterval(() => unsent().some((entry) => entry.state === 'waiting') && send(), RETRY_MS);
  render();
  expireKept()
    .then(send)
    .then(async () => {
      if (status || !document.querySelector('a[data-keep]')) return;
      const who = await signedIn();
      if (who) await keepRegisters(who);
      render();
    });
})();
