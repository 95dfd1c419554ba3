/** The shop's web app: sign in, order, watch items and orders change live, book seats, operate. */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { loadSession, onUnauthorised, type Session, saveSession } from './api.ts';
import { LiveFeed, type LiveState } from './live.ts';
import { OperatorPage } from './pages/operator.tsx';
import { OrdersPage } from './pages/orders.tsx';
import { SeatsPage } from './pages/seats.tsx';
import { ShopPage } from './pages/shop.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { Empty, Link, navigate, onPathChange } from './ui.tsx';
import './styles.css';

function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => onPathChange(() => setPath(location.pathname)), []);
  return path;
}

function LiveBadge({ feed }: { feed: LiveFeed }) {
  const [state, setState] = useState<LiveState>(feed.state);
  useEffect(() => feed.onState(setState), [feed]);
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting' : 'Reconnecting';
  return (
    <span class={`live live-${state}`} data-testid="live-state" title="Updates arrive as they happen">
      <span class="live-dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function NavLink({ href, path, children }: { href: string; path: string; children: string }) {
  const current = href === '/' ? path === '/' : path.startsWith(href);
  return (
    <Link href={href} class={current ? 'nav-link nav-current' : 'nav-link'}>
      {children}
    </Link>
  );
}

function Header({
  session,
  feed,
  path,
  onSignOut,
}: {
  session: Session | undefined;
  feed: LiveFeed | undefined;
  path: string;
  onSignOut: () => void;
}) {
  return (
    <header class="topbar">
      <div class="topbar-inner">
        <Link href="/" class="brand">
          <span class="brand-mark" aria-hidden="true" />
          Sluice shop
        </Link>
        {session && (
          <nav class="nav" aria-label="Main">
            {session.kind === 'user' ? (
              <>
                <NavLink href="/" path={path}>
                  Shop
                </NavLink>
                <NavLink href="/orders" path={path}>
                  My orders
                </NavLink>
              </>
            ) : (
              <NavLink href="/operator" path={path}>
                Operations
              </NavLink>
            )}
            <NavLink href="/shows" path={path}>
              Seats
            </NavLink>
          </nav>
        )}
        {session && (
          <div class="who">
            {feed && <LiveBadge feed={feed} />}
            <span class="who-name" data-testid="signed-in-as">
              {session.kind === 'user' ? session.userId : 'Operator'}
            </span>
            <button type="button" class="button button-quiet button-small" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        )}
      </div>
    </header>
  );
}

function Routes({ session, feed, path }: { session: Session; feed: LiveFeed; path: string }) {
  const show = /^\/shows\/([^/]+)$/.exec(path);
  if (show) return <SeatsPage session={session} feed={feed} showId={decodeURIComponent(show[1]!)} />;
  if (path === '/shows') return <SeatsPage session={session} feed={feed} />;
  if (session.kind === 'operator') {
    if (path === '/' || path === '/operator') return <OperatorPage session={session} feed={feed} />;
  } else {
    if (path === '/') return <ShopPage session={session} feed={feed} />;
    if (path === '/orders') return <OrdersPage session={session} feed={feed} />;
    if (path === '/operator')
      return (
        <Empty title="Operators only">
          Sign out and sign in with the operator token to see projections and move orders along.
        </Empty>
      );
  }
  return (
    <Empty title="Page not found">
      <Link href="/">Back to the shop</Link>
    </Empty>
  );
}

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const path = usePath();
  const feed = useMemo(() => (session ? new LiveFeed(session) : undefined), [session]);
  useEffect(() => () => feed?.close(), [feed]);
  const signOut = (): void => {
    saveSession(undefined);
    setSession(undefined);
  };
  useEffect(() => onUnauthorised(signOut), []);
  const signIn = (next: Session): void => {
    saveSession(next);
    setSession(next);
    navigate(next.kind === 'operator' ? '/operator' : '/');
  };
  return (
    <>
      <Header session={session} feed={feed} path={path} onSignOut={signOut} />
      <main class="page">
        {session && feed ? (
          <Routes session={session} feed={feed} path={path} />
        ) : (
          <SignInPage onSignIn={signIn} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
