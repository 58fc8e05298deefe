import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Api, apiWith, session } from './api.js';
import { Customers } from './pages/customers.js';
import { Live } from './pages/live.js';
import { Overview } from './pages/overview.js';
import { Segments } from './pages/segments.js';
import { SignIn } from './pages/sign-in.js';
import './style.css';

const PAGES = [
  { id: 'overview', label: 'Overview', view: Overview },
  { id: 'live', label: 'Live', view: Live },
  { id: 'customers', label: 'Customers', view: Customers },
  { id: 'segments', label: 'Segments', view: Segments },
] as const;
type PageId = (typeof PAGES)[number]['id'];

/** The page is in the URL hash (#/live?…), so reloads and the back button keep it and the server serves one file. */
function currentRoute(): { page: PageId; params: URLSearchParams } {
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.find((p) => p.id === path)?.id ?? 'overview';
  return { page, params: new URLSearchParams(search) };
}

export interface PageProps {
  api: Api;
  params: URLSearchParams;
}

function App() {
  const [key, setKey] = useState(session.get());
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signOut = () => {
    session.clear();
    setKey(null);
  };
  const api = useMemo(() => (key === null ? null : apiWith(key, signOut)), [key]);

  if (api === null) {
    return (
      <SignIn
        onSignedIn={(k) => {
          session.set(k);
          setKey(k);
        }}
      />
    );
  }
  const page = PAGES.find((p) => p.id === route.page) ?? PAGES[0];
  const View = page.view;
  return (
    <>
      <header class="top">
        <span class="brand">odpkit</span>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page.id ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <button type="button" class="quiet" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <View api={api} params={route.params} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
