// One place that knows what to tear down (service process, embedded database),
// run on normal exit, on errors and on SIGINT/SIGTERM.
const tasks = [];
let running = null;

export function onCleanup(label, fn) {
  tasks.push({ label, fn });
}

export function runCleanup() {
  if (running) return running;
  running = (async () => {
    while (tasks.length) {
      const { label, fn } = tasks.pop();
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup ${label} failed: ${err.message}`);
      }
    }
  })();
  return running;
}

/** Runs main(); always cleans up; exits with main's exit code (or 1 on error, 130 on SIGINT). */
export function runMain(main) {
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, async () => {
      console.error(`\n${sig} received, stopping…`);
      await runCleanup();
      process.exit(130);
    });
  }
  main()
    .then(async (code) => {
      await runCleanup();
      process.exit(code ?? 0);
    })
    .catch(async (err) => {
      console.error(err?.stack || err || 'failed: a promise was rejected without a reason');
      await runCleanup();
      process.exit(1);
    });
}
