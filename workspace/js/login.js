// Sign-in form: username and password, a clear message on a wrong password or throttling.
import { ApiError, request } from './api.js';

/** @typedef {{agent: {name: string, display?: string}, token: string, seq: number}} SignIn */

/** The sign-in screen (static markup in index.html). */
export class LoginForm {
  /** @param {(signIn: SignIn) => void} onSignedIn */
  constructor(onSignedIn) {
    this.onSignedIn = onSignedIn;
    this.section = /** @type {HTMLElement} */ (document.getElementById('login'));
    this.form = /** @type {HTMLFormElement} */ (document.getElementById('login-form'));
    this.username = /** @type {HTMLInputElement} */ (document.getElementById('login-username'));
    this.password = /** @type {HTMLInputElement} */ (document.getElementById('login-password'));
    this.message = /** @type {HTMLElement} */ (document.getElementById('login-message'));
    this.submit = /** @type {HTMLButtonElement} */ (this.form.querySelector('[data-testid="login-submit"]'));
    this.fields = /** @type {HTMLElement} */ (document.getElementById('login-password-fields'));
    this.sso = /** @type {HTMLElement} */ (document.getElementById('login-sso'));
    this.countdown = 0;
    /** @type {Promise<void>|null} which ways of signing in the server offers (asked once) */
    this.options = null;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.signIn();
    });
  }

  /**
   * Show the form, with an optional message (e.g. "Your sign-in expired").
   * @param {string} [message]
   */
  show(message) {
    this.section.hidden = false;
    this.password.value = '';
    this.say(message || '');
    if (!this.options) this.options = this.offer();
    this.options.then(() => {
      if (this.fields.hidden) this.sso.focus();
      else (this.username.value ? this.password : this.username).focus();
    });
  }

  /**
   * Password, single sign-on, or both, as the server is configured.
   * @private
   */
  async offer() {
    try {
      const opts = await request('/workspace/api/signin-options');
      this.sso.hidden = !opts.sso;
      const password = opts.password !== false;
      this.fields.hidden = !password;
      this.submit.hidden = !password;
      for (const input of [this.username, this.password]) input.disabled = !password;
    } catch {
      /* an old server, or offline: the password form stays as it is */
    }
  }

  /** Hide the form. */
  hide() {
    this.section.hidden = true;
  }

  /** @param {string} text */
  say(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }

  /** @private */
  async signIn() {
    const username = this.username.value.trim();
    const password = this.password.value;
    if (!username || !password) {
      this.say('Enter your username and password.');
      return;
    }
    this.submit.disabled = true;
    this.say('');
    try {
      const res = await request('/workspace/api/login', { username, password });
      this.hide();
      this.onSignedIn(res);
    } catch (err) {
      this.failed(err);
    } finally {
      if (!this.countdown) this.submit.disabled = false;
    }
  }

  /**
   * @private
   * @param {unknown} err
   */
  failed(err) {
    const e = err instanceof ApiError ? err : new ApiError(0, {});
    if (e.status === 429) {
      this.throttled(Math.max(1, Math.ceil(e.retryAfter || 30)));
    } else if (e.status === 401 || e.status === 403) {
      this.say('Wrong username or password.');
      this.password.select();
    } else if (e.status === 0) {
      this.say('The server cannot be reached. Check your connection and try again.');
    } else {
      this.say(e.message || 'Sign-in failed. Try again.');
    }
  }

  /**
   * Too many attempts: say so and count down before the button works again.
   * @private
   * @param {number} seconds
   */
  throttled(seconds) {
    window.clearInterval(this.countdown);
    let left = seconds;
    const tick = () => {
      if (left <= 0) {
        window.clearInterval(this.countdown);
        this.countdown = 0;
        this.submit.disabled = false;
        this.say('You can try again now.');
        return;
      }
      this.say(`Too many sign-in attempts. Try again in ${left} s.`);
      left -= 1;
    };
    this.submit.disabled = true;
    tick();
    this.countdown = window.setInterval(tick, 1000);
  }
}
