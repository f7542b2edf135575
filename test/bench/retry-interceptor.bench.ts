// What the global RetryInterceptor costs a request, over HTTP, in process (no database): one Nest
// app per variant, the same trivial POST handler, requests one after another on a keep-alive
// connection, the variants taking turns round by round:
//   npx ts-node --transpile-only -P tsconfig.spec.json test/bench/retry-interceptor.bench.ts
// "none": no interceptor at all; "RetryInterceptor": this repository's, global (as the service
// registers it); "from(lastValueFrom)": the shape it had before (from(promise) around
// lastValueFrom(next.handle())); "GET pass-through": a GET route under the global interceptor.
// Then, without HTTP (CPU only, much less noisy on a shared machine): Nest's InterceptorsConsumer
// running the handler with no interceptor, with a do-nothing interceptor (`next.handle()`), and with
// the RetryInterceptor — what the interceptor itself adds is the difference to the do-nothing one;
// the rest is Nest's interceptor machinery (two AsyncResource.bind and a few Observables per request).
// As in the service, AsyncResource.bind is first replaced by the lean one (src/shared/runtime:
// Node's without the deprecated `asyncResource` property); `--node-bind` keeps Node 20's, to show
// what that property costs.
import 'reflect-metadata';
import { CallHandler, Controller, ExecutionContext, Get, HttpCode, INestApplication, Injectable, Module, NestInterceptor, Post } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { from, isObservable, lastValueFrom, Observable } from 'rxjs';
import { AppConfig } from '../../src/config/app-config';
import { MetricsService } from '../../src/metrics/metrics.service';
import { installLeanAsyncResourceBind } from '../../src/shared/runtime/lean-async-resource-bind';
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
  // The service installs the lean bind (app.factory.ts); `--node-bind` measures Node's own.
  if (!process.argv.includes('--node-bind')) installLeanAsyncResourceBind();
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
  const cpu = new Map<string, number[]>(); // CPU of this process (client and server), µs per request
  for (const v of variants) for (let i = 0; i < 1000; i++) await request(v.port, v.method); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const started = process.hrtime.bigint();
      const cpuStarted = process.cpuUsage();
      for (let i = 0; i < PER_ROUND; i++) await request(v.port, v.method);
      const us = Number(process.hrtime.bigint() - started) / 1e3 / PER_ROUND;
      const used = process.cpuUsage(cpuStarted);
      total.set(v.name, [...(total.get(v.name) ?? []), us]);
      cpu.set(v.name, [...(cpu.get(v.name) ?? []), (used.user + used.system) / PER_ROUND]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = { POST: median(total.get('none (POST)')!), GET: median(total.get('none (GET)')!) };
  const cpuBase = { POST: median(cpu.get('none (POST)')!), GET: median(cpu.get('none (GET)')!) };
  console.log(`over HTTP, one request at a time (median of ${ROUNDS} rounds): wall time, and CPU of client + server`);
  for (const v of variants) {
    const [m, c] = [median(total.get(v.name)!), median(cpu.get(v.name)!)];
    const method = v.method as 'POST' | 'GET';
    console.log(
      `${v.name.padEnd(28)} wall ${m.toFixed(1).padStart(6)} µs (${(m - base[method]).toFixed(1).padStart(6)} vs none)   CPU ${c.toFixed(1).padStart(6)} µs (${(c - cpuBase[method]).toFixed(1).padStart(6)} vs none)`,
    );
  }
  agent.destroy();
  for (const v of variants) await v.app?.close();
  await inProcess();
}

/** The interceptor chain alone, as Nest's router runs it, per request (CPU; no HTTP). */
async function inProcess() {
  const consumer = new InterceptorsConsumer();
  const instance = new BenchController();
  const handler = async () => ({ ok: true });
  const doNothing: NestInterceptor = { intercept: (_, next) => next.handle() };
  const chains: [string, NestInterceptor[], string][] = [
    ['no interceptor', [], 'POST'],
    ['do-nothing interceptor', [doNothing], 'POST'],
    ['RetryInterceptor (POST)', [new RetryInterceptor(retrier)], 'POST'],
    ['RetryInterceptor (GET)', [new RetryInterceptor(retrier)], 'GET'],
    ['from(lastValueFrom) (POST)', [new OldShapeInterceptor()], 'POST'],
  ];
  const once = async (interceptors: NestInterceptor[], method: string) => {
    const result = await consumer.intercept(interceptors, [{ method }, {}, () => undefined], instance, BenchController.prototype.op, handler, 'http');
    if (isObservable(result)) await lastValueFrom(result);
  };
  const N = 50_000;
  const times = new Map<string, number[]>();
  for (let round = 0; round < 5; round++) {
    for (const [name, interceptors, method] of chains) {
      for (let i = 0; i < 2000; i++) await once(interceptors, method);
      const started = process.hrtime.bigint();
      for (let i = 0; i < N; i++) await once(interceptors, method);
      times.set(name, [...(times.get(name) ?? []), Number(process.hrtime.bigint() - started) / 1e3 / N]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log('\nin process (InterceptorsConsumer, no HTTP):');
  for (const [name] of chains) console.log(`${name.padEnd(28)} ${median(times.get(name)!).toFixed(2).padStart(7)} µs/request (median of 5 rounds)`);
}

void main();
