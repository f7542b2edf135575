// What the global RetryInterceptor costs a request, over HTTP, in process (no database): one Nest
// app per variant, the same trivial POST handler, requests one after another on a keep-alive
// connection, the variants taking turns round by round:
//   npx ts-node --transpile-only -P tsconfig.spec.json test/bench/retry-interceptor.bench.ts
// "none": no interceptor at all; "RetryInterceptor": this repository's, global (as the service
// registers it); "from(lastValueFrom)": the shape it had before (from(promise) around
// lastValueFrom(next.handle())); "GET pass-through": a GET route under the global interceptor.
import 'reflect-metadata';
import { CallHandler, Controller, ExecutionContext, Get, HttpCode, INestApplication, Injectable, Module, NestInterceptor, Post } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { from, lastValueFrom, Observable } from 'rxjs';
import { AppConfig } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';
import { RetryInterceptor } from '../../src/shared/transactions/retry.interceptor';
import { TransactionRetrier } from '../../src/shared/transactions/transaction-retrier';
import { CountedAs } from '../../src/shared/transactions/unit-operation';

@Controller()
class BenchController {
  @Post('op')
  @HttpCode(201)
  @CountedAs('reserve')
  async op(): Promise<{ ok: boolean }> {
    return { ok: true };
  }

  @Get('op')
  async read(): Promise<{ ok: boolean }> {
    return { ok: true };
  }
}

const retrier = new TransactionRetrier({ retry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5 } } as AppConfig, new MetricsService());

@Injectable()
class OldShapeInterceptor implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler): Observable<unknown> {
    return from(retrier.run('reserve', () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}

async function appWith(interceptor?: NestInterceptor): Promise<{ app: INestApplication; port: number }> {
  @Module({ controllers: [BenchController], providers: interceptor ? [{ provide: APP_INTERCEPTOR, useValue: interceptor }] : [] })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(port: number, method: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/op', method, agent, headers: { 'content-length': 0 } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const variants = [
    { name: 'none (POST)', method: 'POST', ...(await appWith()) },
    { name: 'RetryInterceptor (POST)', method: 'POST', ...(await appWith(new RetryInterceptor(retrier))) },
    { name: 'from(lastValueFrom) (POST)', method: 'POST', ...(await appWith(new OldShapeInterceptor())) },
    { name: 'none (GET)', method: 'GET', port: 0, app: undefined as INestApplication | undefined },
    { name: 'GET pass-through', method: 'GET', port: 0, app: undefined as INestApplication | undefined },
  ];
  variants[3].port = variants[0].port;
  variants[4].port = variants[1].port;
  const ROUNDS = 8;
  const PER_ROUND = 3000;
  const total = new Map<string, number[]>();
  for (const v of variants) for (let i = 0; i < 1000; i++) await request(v.port, v.method); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) await request(v.port, v.method);
      const us = Number(process.hrtime.bigint() - started) / 1e3 / PER_ROUND;
      total.set(v.name, [...(total.get(v.name) ?? []), us]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = { POST: median(total.get('none (POST)')!), GET: median(total.get('none (GET)')!) };
  for (const v of variants) {
    const m = median(total.get(v.name)!);
    console.log(`${v.name.padEnd(28)} ${m.toFixed(1).padStart(7)} µs/request (median of ${ROUNDS} rounds)  ${(m - base[v.method as 'POST' | 'GET']).toFixed(1).padStart(6)} µs vs none`);
  }
  agent.destroy();
  for (const v of variants) await v.app?.close();
}

void main();
