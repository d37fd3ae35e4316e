// The dashboard at `/`: the login form when signed out; signed in, one page per area of the API behind a
// navigation whose links are named for their pages. Pages are chosen by the URL's hash (#/numbers, …).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, must, whenSignedOut } from '../api.ts';
import { Field, Notice, errorText } from '../components.tsx';
import { PAGES, type Me } from './pages/index.tsx';

function Login(props: { onSignedIn: (me: Me) => void; expired: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <form
        class="card login-card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await must(api.POST('/auth/login', { body: { username, password } }));
            props.onSignedIn(await must(api.GET('/auth/me')));
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <h1>Switchboard</h1>
        <p class="muted">Sign in to manage your numbers, messages and devices.</p>
        {props.expired && !error && <Notice kind="info">Your session ended. Sign in again.</Notice>}
        <Field label="Username">
          {(id) => <input id={id} name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />}
        </Field>
        <Field label="Password">
          {(id) => (
            <input
              id={id}
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        <Notice kind="error">{error}</Notice>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

const currentPage = () => {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] || 'numbers';
  return PAGES.find((p) => p.path === name) ?? PAGES[0]!;
};

function Shell(props: { me: Me; onSignedOut: () => void }) {
  const [page, setPage] = useState(currentPage);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    // a login that ended elsewhere (logout, expiry) is noticed on the next page change and every minute:
    // a 401 sends the person back to the login form
    const check = () => void api.GET('/auth/me').catch(() => undefined);
    const onHash = () => {
      setPage(currentPage());
      setMenuOpen(false);
      check();
    };
    const timer = window.setInterval(check, 60_000);
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.clearInterval(timer);
    };
  }, []);
  useEffect(() => {
    document.title = `${page.title} · Switchboard`;
  }, [page]);
  const Page = page.component;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/numbers">
          Switchboard
        </a>
        <button type="button" class="menu-toggle secondary small" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <span class="whoami">
          {props.me.username} <span class="badge">{props.me.role}</span>
        </span>
        <button
          type="button"
          class="secondary small"
          onClick={async () => {
            await api.POST('/auth/logout').catch(() => undefined);
            props.onSignedOut();
          }}
        >
          Log out
        </button>
      </header>
      <nav id="nav" class={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
        {PAGES.map((p) => (
          <a key={p.path} href={`#/${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>
            {p.title}
          </a>
        ))}
        <a href="/chat">Chat</a>
        <a href="/docs">API reference</a>
      </nav>
      <main class="content">
        <h1>{page.title}</h1>
        <Page me={props.me} />
      </main>
    </div>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    whenSignedOut(() => {
      setMe((was) => {
        if (was) setExpired(true);
        return null;
      });
    });
    // no login made in this browser: the login form at once, without asking (and a 401) first
    if (!document.cookie.split('; ').includes('sb_signed_in=1')) return setMe(null);
    api.GET('/auth/me').then(
      ({ data }) => setMe(data ?? null),
      () => setMe(null),
    );
  }, []);
  if (me === undefined) return <p class="loading">Loading…</p>;
  if (me === null)
    return (
      <Login
        expired={expired}
        onSignedIn={(m) => {
          setExpired(false);
          setMe(m);
        }}
      />
    );
  return <Shell me={me} onSignedOut={() => setMe(null)} />;
}

render(<App />, document.getElementById('app')!);
