import { useMutation } from '@apollo/client/react';
import { type FormEvent, useState } from 'react';
import { auth } from './auth.ts';
import { LOG_IN } from './operations.ts';

export function Login() {
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [logIn, { loading, error }] = useMutation(LOG_IN);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await logIn({ variables: { input: { login, password, deviceLabel: 'Agora web example' } } }).catch(() => null);
    if (result?.data) auth.signedIn(result.data.logIn);
  };

  return (
    <form className="login card" onSubmit={submit}>
      <h1>Agora</h1>
      <p className="muted">Sign in to see your feed and chats.</p>
      {auth.notice && (
        <p className="notice" data-testid="signed-out-notice">
          {auth.notice}
        </p>
      )}
      <label>
        Username or email
        <input name="login" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} required />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      <button type="submit" disabled={loading}>
        {loading ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted small">Demo: alice / agora-demo</p>
    </form>
  );
}
