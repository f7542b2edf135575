/** SIGTERM, then SIGKILL if the child has not exited after `killAfterMs`; resolves once it has. */
export async function stopChild(child, killAfterMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
