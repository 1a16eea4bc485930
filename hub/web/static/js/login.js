// The sign-in dialog, shown when the hub answers 401: a token, or a user
// and password, each in a form of its own (one credential per form, as
// password managers expect).
import { $ } from './dom.js';
import { Unauthorized, login } from './api.js';

export class Login {
  constructor({ onSignedIn }) {
    this.dialog = $('#login');
    this.token = $('#login-token');
    this.basic = $('#login-basic');
    this.onSignedIn = onSignedIn;
    $('#login-method').addEventListener('change', () => this.method());
    this.token.addEventListener('submit', (e) => this.submit(e, { token: this.token.elements.token.value.trim() }));
    this.basic.addEventListener('submit', (e) => this.submit(e, { user: this.basic.elements.user.value, password: this.basic.elements.password.value }));
    this.dialog.addEventListener('cancel', (e) => e.preventDefault()); // nothing to show without it
  }

  isBasic() {
    return $('#login-method input[value="basic"]').checked;
  }

  method() {
    this.basic.hidden = !this.isBasic();
    this.token.hidden = this.isBasic();
    this.field().focus();
  }

  field() {
    return this.isBasic() ? this.basic.elements.user : this.token.elements.token;
  }

  open(message = '') {
    $('#login-error').textContent = message;
    if (!this.dialog.open) this.dialog.showModal();
    this.field().focus();
  }

  async submit(e, creds) {
    e.preventDefault();
    const error = $('#login-error');
    if (!creds.token && !creds.user) {
      error.textContent = 'Give a token, or a user name.';
      return;
    }
    error.textContent = 'Signing in…';
    try {
      await login(creds);
    } catch (err) {
      error.textContent = err instanceof Unauthorized ? 'The hub refused these credentials.' : `Could not reach the hub: ${err.message}`;
      return;
    }
    this.token.reset();
    this.basic.reset();
    error.textContent = '';
    this.dialog.close();
    this.onSignedIn();
  }
}
