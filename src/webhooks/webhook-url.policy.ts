import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ApiError } from '../shared/errors/api-error';
import { checkWebhookUrl, CheckedWebhookUrl, dnsResolver, WebhookResolver, WebhookUrlCheck, WebhookUrlRefusal } from './webhook-url';

/**
 * The resolver webhook URLs are checked with, behind a Nest token so that tests replace it
 * (`jest.spyOn(app.get(WEBHOOK_RESOLVER), 'resolve')`) and never ask real DNS. Production:
 * dns.promises.lookup(host, { all: true, verbatim: true }) — every A and AAAA address.
 * With NODE_ENV=test the default answers ENOTFOUND for every name: a test that forgot to stub it
 * fails clearly instead of sending a DNS query out of the machine.
 */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

export interface WebhookResolution {
  resolve: WebhookResolver;
}

const noDnsInTests: WebhookResolver = async (hostname) => {
  throw Object.assign(new Error(`no DNS in tests: stub WEBHOOK_RESOLVER to resolve ${hostname}`), { code: 'ENOTFOUND' });
};

export const webhookResolverProvider = {
  provide: WEBHOOK_RESOLVER,
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig): WebhookResolution => ({ resolve: config.nodeEnv === 'test' ? noDnsInTests : dnsResolver }),
};

/** A name that takes longer than this to resolve is UNRESOLVABLE (getaddrinfo may otherwise wait far longer). */
export const RESOLVE_TIMEOUT_MS = 5_000;

/** A refused webhook URL: 400 VALIDATION_FAILED naming `url`, with the refusal's reason code. */
export class WebhookUrlRefusedError extends ApiError {
  constructor(readonly reason: WebhookUrlRefusal, detail: string) {
    super(400, 'VALIDATION_FAILED', `The webhook URL is refused: ${detail}`, { fields: [{ field: 'url', message: detail, reason }] });
  }
}

/** checkWebhookUrl with the service's settings (WEBHOOK_ALLOW_HTTP_LOOPBACK) and resolver: at registration and before each delivery. */
@Injectable()
export class WebhookUrlPolicy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(WEBHOOK_RESOLVER) private readonly resolution: WebhookResolution,
  ) {}

  check(url: string): Promise<WebhookUrlCheck> {
    return checkWebhookUrl(url, {
      allowHttpLoopback: this.config.webhooks.allowHttpLoopback,
      resolve: (hostname) => withTimeout(this.resolution.resolve(hostname), RESOLVE_TIMEOUT_MS),
    });
  }

  /** The checked URL, or WebhookUrlRefusedError. */
  async require(url: string): Promise<CheckedWebhookUrl> {
    const check = await this.check(url);
    if (!check.ok) throw new WebhookUrlRefusedError(check.reason, check.detail);
    return check;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
