// Practitioner tokens per organization. Requests for an authorization always
// carry a token of that authorization's organization. Tokens are re-issued
// (one login) two minutes before they expire, so a run of any length never
// sends an expired token — the old system's 401s came from exactly that.

export function jwtExpiryMs(token) {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity;
  } catch {
    return Infinity;
  }
}

export class TokenPool {
  constructor(api) {
    this.api = api;
    this.byOrg = new Map(); // orgId -> { users: [{email,password,token,expMs}], next }
    this.refreshes = 0;
    this.timer = null;
  }

  async add(orgId, email, password) {
    const token = await this.api.login(email, password);
    const entry = this.byOrg.get(orgId) ?? { users: [], next: 0 };
    entry.users.push({ email, password, token, expMs: jwtExpiryMs(token) });
    this.byOrg.set(orgId, entry);
  }

  /** A token of a practitioner of `orgId` (round-robin over that org's practitioners). */
  tokenFor(orgId) {
    const entry = this.byOrg.get(orgId);
    if (!entry) throw new Error(`no practitioner token for organization ${orgId}`);
    const user = entry.users[entry.next++ % entry.users.length];
    return user.token;
  }

  /** Earliest expiry over all tokens (ms since epoch). */
  earliestExpiry() {
    let min = Infinity;
    for (const { users } of this.byOrg.values()) for (const u of users) min = Math.min(min, u.expMs);
    return min;
  }

  startAutoRefresh() {
    this.timer = setInterval(() => this.refreshDue().catch((e) => console.error(`token refresh: ${e.message}`)), 5000);
    this.timer.unref();
  }

  stopAutoRefresh() {
    clearInterval(this.timer);
  }

  async refreshDue() {
    const soon = Date.now() + 120000;
    for (const { users } of this.byOrg.values()) {
      for (const u of users) {
        if (u.expMs < soon) {
          u.token = await this.api.login(u.email, u.password);
          u.expMs = jwtExpiryMs(u.token);
          this.refreshes++;
        }
      }
    }
  }
}
