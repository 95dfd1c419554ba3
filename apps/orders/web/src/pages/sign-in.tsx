/** Sign in as a shopper (development login) or as an operator (the operator token). */
import { useState } from 'preact/hooks';
import { ApiError, call, type Session } from '../api.ts';
import { ErrorNotice } from '../ui.tsx';

type Mode = 'user' | 'operator';

async function signIn(mode: Mode, value: string): Promise<Session> {
  if (mode === 'user') {
    try {
      const { token } = await call<{ token: string }>(undefined, 'POST', '/api/auth/dev-login', {
        userId: value,
      });
      return { kind: 'user', userId: value, token };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404)
        throw new ApiError(
          404,
          error.code,
          'Development sign-in is off',
          'Start the shop with npm start (SLUICE_DEV_LOGIN=1) on a loopback address.',
        );
      throw error;
    }
  }
  const session: Session = { kind: 'operator', token: value };
  try {
    await call(session, 'GET', '/api/projections');
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      throw new ApiError(
        404,
        error.code,
        'Operator routes are off',
        'Start the shop with SLUICE_OPERATOR_TOKEN set.',
      );
    if (error instanceof ApiError && error.status === 401)
      throw new ApiError(
        401,
        error.code,
        'That operator token is not accepted',
        'Use the value of SLUICE_OPERATOR_TOKEN.',
      );
    throw error;
  }
  return session;
}

/** The page shown to anybody not signed in. */
export function SignInPage({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [mode, setMode] = useState<Mode>('user');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const text = value.trim();
    if (text === '') {
      setError(new ApiError(400, 'EMPTY', mode === 'user' ? 'Enter a user id' : 'Enter the operator token'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onSignIn(await signIn(mode, text));
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  return (
    <div class="sign-in">
      <div class="sign-in-intro">
        <h1>Order, and watch it happen.</h1>
        <p>
          Every order is a command on Kafka. Your items, your orders and the seat map change here the moment
          their events are projected — no reloading.
        </p>
      </div>
      <form class="card sign-in-card" onSubmit={submit} noValidate>
        <div class="tabs" role="tablist">
          {(['user', 'operator'] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="tab"
              aria-selected={mode === m}
              class={mode === m ? 'tab tab-current' : 'tab'}
              onClick={() => {
                setMode(m);
                setValue('');
                setError(undefined);
              }}
            >
              {m === 'user' ? 'Shopper' : 'Operator'}
            </button>
          ))}
        </div>
        <label class="field" htmlFor="sign-in-value">
          <span>{mode === 'user' ? 'User id' : 'Operator token'}</span>
          {mode === 'user' ? (
            <input
              id="sign-in-value"
              name="userId"
              type="text"
              autocomplete="username"
              placeholder="e.g. alice"
              value={value}
              onInput={(event) => setValue(event.currentTarget.value)}
            />
          ) : (
            <input
              id="sign-in-value"
              name="operatorToken"
              type="password"
              autocomplete="current-password"
              placeholder="SLUICE_OPERATOR_TOKEN"
              value={value}
              onInput={(event) => setValue(event.currentTarget.value)}
            />
          )}
        </label>
        <p class="hint">
          {mode === 'user'
            ? 'Development sign-in: any id works while the shop runs on this machine.'
            : 'Operators see projections, rebuild them and move orders along.'}
        </p>
        {error !== undefined && <ErrorNotice error={error} />}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
