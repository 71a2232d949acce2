// The demo chat client: plain browser JavaScript, no build step. Talks the JSON protocol of src/cli/chat-server.ts
// over the page's own WebSocket and reconnects with exponential backoff when the server goes away.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const endpoint = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat`;
  const RETRY_MIN_MS = 500;
  const RETRY_MAX_MS = 10000;

  const state = {
    ws: null,
    nick: sessionStorage.getItem('sockwire-chat-nick') || '',
    wantsToJoin: false, // the user submitted a nickname; (re)join whenever connected
    joined: false,
    attempts: 0,
    retryTimer: null,
    seen: new Set() // messages already on screen, so history after a reconnect is not shown twice
  };

  $('nick').value = state.nick;

  function setStatus(kind, text) {
    const status = $('status');
    status.className = `status ${kind}`;
    status.textContent = text;
    $('send').disabled = kind !== 'online';
    $('join').disabled = kind !== 'online';
  }

  let noticeTimer = null;
  function showNotice(text) {
    const notice = $('notice');
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      notice.hidden = true;
    }, 4000);
  }

  function scrollToEnd() {
    const list = $('messages');
    list.scrollTop = list.scrollHeight;
  }

  function timeOf(at) {
    return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // Only textContent is used for anything that came over the network: no HTML injection.
  function addMessage(message) {
    const key = `${message.at}|${message.from}|${message.text}`;
    if (state.seen.has(key)) return;
    state.seen.add(key);
    const item = document.createElement('li');
    if (message.from === state.nick) item.className = 'mine';
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = timeOf(message.at);
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = message.from;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = message.text;
    item.append(time, from, text);
    $('messages').append(item);
    scrollToEnd();
  }

  function addSystem(text) {
    const item = document.createElement('li');
    item.className = 'system';
    item.textContent = text;
    $('messages').append(item);
    scrollToEnd();
  }

  function showOnline(users) {
    const list = $('online');
    list.replaceChildren(
      ...users.map((name) => {
        const item = document.createElement('li');
        item.textContent = name;
        if (name === state.nick) item.className = 'me';
        return item;
      })
    );
    $('online-count').textContent = String(users.length);
  }

  function send(payload) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify(payload));
      return true;
    }
    return false;
  }

  function handle(message) {
    switch (message.type) {
      case 'welcome':
        state.joined = true;
        state.attempts = 0; // a full round trip worked: the next outage starts with a short delay again
        state.nick = message.nick;
        sessionStorage.setItem('sockwire-chat-nick', state.nick);
        $('join-form').hidden = true;
        $('room').hidden = false;
        for (const item of message.history) addMessage(item);
        showOnline(message.online);
        $('text').focus();
        break;
      case 'message':
        addMessage(message);
        break;
      case 'online':
        showOnline(message.users);
        break;
      case 'system':
        addSystem(message.text);
        break;
      case 'error':
        showNotice(message.error);
        if (!state.joined) state.wantsToJoin = false;
        break;
      default:
        break; // newer servers may send more; ignore what we do not know
    }
  }

  function scheduleReconnect() {
    // Exponential backoff with jitter, so a restarted server is not hit by every page at the same instant.
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** state.attempts);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    state.attempts++;
    setStatus('offline', `offline, reconnecting in ${Math.ceil(delay / 1000)} s…`);
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    setStatus('connecting', state.attempts === 0 ? 'connecting…' : 'reconnecting…');
    const ws = new WebSocket(endpoint);
    state.ws = ws;
    ws.addEventListener('open', () => {
      setStatus('online', 'online');
      if (state.wantsToJoin) send({ type: 'join', nick: state.nick });
    });
    ws.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === 'string') handle(message);
    });
    ws.addEventListener('close', () => {
      if (state.ws !== ws) return;
      state.ws = null;
      if (state.joined) addSystem('connection lost');
      state.joined = false;
      scheduleReconnect();
    });
  }

  $('join-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const nick = $('nick').value.trim();
    if (nick === '') return;
    state.nick = nick;
    state.wantsToJoin = true;
    if (!send({ type: 'join', nick })) showNotice('not connected yet; joining as soon as the server is back');
  });

  $('say-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('text');
    const text = input.value.trim();
    if (text === '') return;
    if (send({ type: 'say', text })) input.value = '';
    else showNotice('offline: the message was not sent');
  });

  connect();
})();
